import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { compiledServer, type ServerProcess } from '../server/compiled.ts';
import { ADMIN, encodeMetadata, OCTETS, pacedPatch, TUS, tempDir } from '../server/helpers.ts';
import { makeFile, sha256 } from '../support/content.ts';
import { type FleetServices, fleetEnv, startFleetServices } from '../support/fleet/fleetServices.ts';
import { type NginxService, startNginx } from '../support/fleet/nginx.ts';
import { metricValue } from '../support/metrics.ts';
import { pollUntil } from '../support/pollUntil.ts';

const MiB = 1024 * 1024;
let services: FleetServices;
const compiled = compiledServer();
let nginx: NginxService;
let env: Record<string, string>;
const instances: ServerProcess[] = [];

beforeAll(async () => {
  services = await startFleetServices();
  env = fleetEnv(services, tempDir('tender-fleet-'));
  for (const id of ['a', 'b']) {
    // Each instance its own directory: the uploads are in S3, the directory holds requests in progress.
    const own = { TENDER_INSTANCE_ID: id, TENDER_DATA_DIR: tempDir(), TENDER_STATIC_DIR: tempDir() };
    instances.push(await compiled.start({ ...env, ...own }));
  }
  nginx = await startNginx({ upstreams: instances.map((i) => i.url) });
}, 180_000);

afterAll(async () => {
  await nginx?.stop();
  for (const instance of instances) await instance.stop();
  await services?.stop();
});

async function received(instance: ServerProcess): Promise<number> {
  const page = await (await fetch(`${instance.url}/metrics`, { headers: ADMIN })).text();
  return metricValue(page, 'tender_bytes_received_total');
}

it('spreads an upload over both instances, and loses or doubles no byte when one is killed mid-PATCH', async () => {
  const size = 32 * MiB;
  const file = makeFile(size, 7);
  const enrolled = await fetch(`${nginx.url}/api/devices`, {
    method: 'POST',
    headers: ADMIN,
    body: JSON.stringify({ name: 'Deck camera' }),
  });
  expect(enrolled.status).toBe(201);
  const { token } = (await enrolled.json()) as { token: string };
  const device = { ...TUS, Authorization: `Bearer ${token}` };
  const created = await fetch(`${nginx.url}/files/`, {
    method: 'POST',
    headers: {
      ...device,
      'Upload-Length': String(size),
      'Upload-Metadata': encodeMetadata({
        filename: 'survey.bin',
        filetype: 'application/octet-stream',
        sha256: sha256(file),
      }),
    },
  });
  expect(created.status).toBe(201);
  const uploadUrl = new URL(created.headers.get('location') ?? '', nginx.url).href;
  let wire = 0;

  // Four 2 MiB PATCHes, one request after another: nginx hands them to each instance in turn.
  const before = await Promise.all(instances.map(received));
  let offset = 0;
  for (let i = 0; i < 4; i++) {
    const chunk = file.subarray(offset, offset + 2 * MiB);
    const res = await fetch(uploadUrl, {
      method: 'PATCH',
      headers: { ...device, 'Content-Type': OCTETS, 'Upload-Offset': String(offset) },
      body: new Uint8Array(chunk),
    });
    expect(res.status).toBe(204);
    wire += chunk.length;
    offset = Number(res.headers.get('upload-offset'));
  }
  expect(offset).toBe(8 * MiB);
  const after = await Promise.all(instances.map(received));
  const share = after.map((n, i) => n - (before[i] as number));
  expect(share[0]).toBeGreaterThan(0);
  expect(share[1]).toBeGreaterThan(0);

  // The rest in one PATCH; the instance it lands on is killed once it has acknowledged part of it
  // (a checkpoint commits the offset in PostgreSQL every 2 s) and is receiving more.
  const counts = await Promise.all(instances.map(received));
  const rest = pacedPatch(uploadUrl, device, offset, file.subarray(offset));
  const id = uploadUrl.split('/').pop();
  const db = new pg.Client({ connectionString: services.postgres.connectionString });
  await db.connect();
  const acked = await pollUntil(
    'a checkpoint of the PATCH',
    async () => {
      const row = await db.query(`SELECT acked FROM ${env.TENDER_DATABASE_SCHEMA}.partials WHERE id = $1`, [
        id,
      ]);
      return Number(row.rows[0]?.acked);
    },
    (n) => n > offset,
    { timeoutMs: 20_000 },
  );
  await db.end();
  const now = await Promise.all(instances.map(received));
  const busy = now.findIndex((n, i) => n - (counts[i] as number) > 0);
  const killed = instances[busy] as ServerProcess;
  const survivor = instances[1 - busy] as ServerProcess;
  killed.child.kill('SIGKILL');
  await killed.stop();
  expect((await rest.answer)?.status).not.toBe(204);
  const sentInKilled = rest.sent();
  wire += sentInKilled;

  // The client asks where the upload stands (nginx finds the survivor; the lock's lease lapses).
  const head = await fetch(uploadUrl, { method: 'HEAD', headers: device });
  expect(head.status).toBe(200);
  const resumeAt = Number(head.headers.get('upload-offset'));
  // What the killed instance had acknowledged is kept.
  expect(resumeAt).toBeGreaterThanOrEqual(acked);
  expect(resumeAt).toBeLessThanOrEqual(offset + sentInKilled);
  const resent = offset + sentInKilled - resumeAt;
  const final = await fetch(uploadUrl, {
    method: 'PATCH',
    headers: { ...device, 'Content-Type': OCTETS, 'Upload-Offset': String(resumeAt) },
    body: new Uint8Array(file.subarray(resumeAt)),
  });
  expect(final.status).toBe(204);
  wire += size - resumeAt;
  console.log(
    `Two instances: ${share.map((n) => (n / MiB).toFixed(0)).join(' + ')} MiB of the first 8 MiB on each; ` +
      `killed mid-PATCH after ${(sentInKilled / MiB).toFixed(1)} MiB sent, resumed at ${(resumeAt / MiB).toFixed(2)} MiB ` +
      `on the survivor; ${wire} bytes on the wire for ${size} (${resent} sent twice, all past the acknowledged offset)`,
  );
  expect(wire).toBe(size + resent);

  const records = (await (await fetch(`${survivor.url}/api/uploads`, { headers: ADMIN })).json()) as Array<{
    id: string;
    sha256: string;
  }>;
  expect(records.filter((r) => r.id === id)).toHaveLength(1);
  const content = Buffer.from(
    await (await fetch(`${nginx.url}/api/uploads/${id}/content`, { headers: ADMIN })).arrayBuffer(),
  );
  expect(content.length).toBe(size);
  expect(sha256(content)).toBe(sha256(file));
}, 120_000);
