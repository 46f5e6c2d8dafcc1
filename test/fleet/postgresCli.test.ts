// The operator's CLI against the fleet's PostgreSQL: what it writes, every running instance reads,
// and its revocations and drop requests reach every instance's watch.
import fs from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openPostgres, type PostgresRepositories } from '../../server/pg/index.ts';
import { compiledServer } from '../server/compiled.ts';
import { tempDir } from '../server/helpers.ts';
import { type PostgresService, startPostgres } from '../support/fleet/postgres.ts';

let postgres: PostgresService;
const compiled = compiledServer();
let env: Record<string, string>;
const instances: PostgresRepositories[] = [];
beforeAll(async () => {
  postgres = await startPostgres();
  env = { TENDER_DATABASE_URL: postgres.connectionString, TENDER_DATABASE_SCHEMA: 'fleet' };
  for (let i = 0; i < 2; i++) {
    instances.push(await openPostgres({ connectionString: postgres.connectionString, schema: 'fleet' }));
  }
}, 120_000);
afterAll(async () => {
  await Promise.all(instances.map((r) => r.close()));
  await postgres?.stop();
});

async function until(what: string, condition: () => boolean, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

it('enrols, lists, drops and revokes in the shared database, and every instance hears of it', async () => {
  const [a, b] = instances;
  if (!a || !b) throw new Error('two instances expected');
  const dataDir = tempDir();
  const cli = async (...args: string[]) => {
    const result = await compiled.runWith(env, dataDir, ...args);
    expect(result.code, result.stderr).toBe(0);
    return result.stdout;
  };
  const enrolled = JSON.parse(await cli('enroll', '--name', 'Deck tablet', '--json')) as {
    deviceId: string;
    token: string;
    enrollUrl: string;
  };
  const code = enrolled.enrollUrl.split('#code=')[1] ?? '';
  expect(await b.codes.redeem(code)).toEqual({
    ok: true,
    deviceId: enrolled.deviceId,
    token: enrolled.token,
  });
  expect(await a.devices.authenticate(enrolled.token)).toMatchObject({ ok: true });
  expect(JSON.parse(await cli('devices', '--json'))).toMatchObject([{ deviceId: enrolled.deviceId }]);

  await a.partials.create(
    {
      id: 'u1',
      deviceId: enrolled.deviceId,
      size: 10,
      metadata: { filename: 'hull.jpg' },
      createdAt: '2026-03-01T10:00:00.000Z',
    },
    () => undefined,
  );
  expect(JSON.parse(await cli('unfinished', enrolled.deviceId, '--json'))).toMatchObject([
    { id: 'u1', name: 'hull.jpg', dropRequested: false },
  ]);

  const seen = { a: 0, b: 0 };
  const watches = [a.watch(() => seen.a++), b.watch(() => seen.b++)];
  await Promise.all(watches.map((w) => w.listening));
  try {
    expect(await cli('drop', enrolled.deviceId)).toMatch(/Marked 1 unfinished upload/);
    await until('both instances hear of the drop', () => seen.a === 1 && seen.b === 1);
    expect((await b.partials.abandoned()).map((p) => p.id)).toEqual(['u1']);
    await cli('revoke', enrolled.deviceId);
    await until('both instances hear of the revocation', () => seen.a === 2 && seen.b === 2);
    expect(await b.devices.authenticate(enrolled.token)).toEqual({ ok: false, reason: 'revoked' });
  } finally {
    await Promise.all(watches.map((w) => w.stop()));
  }
  expect(JSON.parse(await cli('devices', '--json'))[0].revokedAt).toMatch(/^\d{4}-/);
  const unknown = await compiled.runWith(env, dataDir, 'revoke', 'nope');
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toMatch(/no device "nope"/);
  // Nothing went to a local SQLite database.
  expect(fs.readdirSync(dataDir)).toEqual([]);
  fs.rmSync(dataDir, { recursive: true, force: true });
});
