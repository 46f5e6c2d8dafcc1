import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN,
  ADMIN_TOKEN,
  bytes,
  encodeMetadata,
  listRecords,
  pacedPatch,
  sha256,
  sleep,
  TUS,
  tempDir,
} from './helpers.ts';

// The compiled server and CLI, as operators run them.
const ROOT = path.resolve(import.meta.dirname, '../..');
const MAIN = path.join(ROOT, 'build/server/main.js');
const CLI = path.join(ROOT, 'build/server/cli.js');

let root: string;

beforeAll(() => {
  // Incremental: cheap when the build is current, and never tests a stale build.
  execFileSync(path.join(ROOT, 'node_modules/.bin/tsc'), ['-b', 'server'], { cwd: ROOT, stdio: 'pipe' });
  root = tempDir('tender-process-');
}, 60_000);
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

function cli(dataDir: string, ...args: string[]) {
  const res = spawnSync(process.execPath, [CLI, ...args], {
    env: { ...process.env, TENDER_DATA_DIR: dataDir, PORT: '8123', TENDER_PUBLIC_URL: '' },
    encoding: 'utf8',
  });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

/**
 * Starts the compiled server on a port of its own choosing and waits for the address it prints (a
 * fixed port, free a moment ago, may meanwhile belong to another test file's server).
 */
async function spawnServer(dataDir: string, env: Record<string, string> = {}) {
  const child: ChildProcess = spawn(process.execPath, [MAIN], {
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      TENDER_DATA_DIR: dataDir,
      TENDER_ADMIN_TOKEN: ADMIN_TOKEN,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d) => {
    output += d;
  });
  child.stderr?.on('data', (d) => {
    output += d;
  });
  const deadline = Date.now() + 15_000;
  for (;;) {
    const url = /Tender listening on (http:\/\/\S+)/.exec(output)?.[1];
    if (url && (await fetch(`${url}/healthz`).catch(() => undefined))?.ok) {
      return { child, url, output: () => output };
    }
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`server did not start:\n${output}`);
    await sleep(50);
  }
}

describe('CLI', () => {
  it('enrols (--json prints exactly deviceId, token, enrollUrl), lists and revokes devices', async () => {
    const dataDir = path.join(root, 'cli');
    const server = await spawnServer(dataDir);
    try {
      const enrolled = cli(dataDir, 'enroll', '--name', 'Deck tablet', '--json');
      expect(enrolled.code).toBe(0);
      const body = JSON.parse(enrolled.stdout) as { deviceId: string; token: string; enrollUrl: string };
      expect(Object.keys(body).sort()).toEqual(['deviceId', 'enrollUrl', 'token']);
      expect(body.enrollUrl).toMatch(/^http:\/\/localhost:8123\/enroll#code=[A-Za-z0-9_-]{22}$/);
      // The link's code gives the device the same token the script was shown.
      const code = body.enrollUrl.split('#code=')[1];
      const exchanged = await fetch(`${server.url}/api/enroll`, {
        method: 'POST',
        body: JSON.stringify({ code }),
      });
      expect(((await exchanged.json()) as { token: string }).token).toBe(body.token);

      // The running server accepts a device the CLI enrolled a moment ago.
      const auth = { ...TUS, Authorization: `Bearer ${body.token}` };
      const me = await fetch(`${server.url}/api/device`, { headers: auth });
      expect(await me.json()).toEqual({ deviceId: body.deviceId, name: 'Deck tablet' });

      const human = cli(dataDir, 'enroll', '--name', 'Bridge phone');
      expect(human.code).toBe(0);
      expect(human.stdout).toContain('/enroll#code=');
      expect(human.stdout).toContain('works once, within an hour');
      expect(human.stdout).toMatch(/[█▀▄]{10}/);

      const list = cli(dataDir, 'devices');
      expect(list.stdout).toContain('Deck tablet');
      expect(list.stdout).toContain('Bridge phone');
      expect(list.stdout).not.toContain(body.token);
      const json = JSON.parse(cli(dataDir, 'devices', '--json').stdout) as { deviceId: string }[];
      expect(json.map((d) => d.deviceId)).toContain(body.deviceId);

      const revoked = cli(dataDir, 'revoke', body.deviceId);
      expect(revoked.code).toBe(0);
      expect((await fetch(`${server.url}/api/device`, { headers: auth })).status).toBe(401);
      expect(cli(dataDir, 'devices').stdout).toMatch(/Deck tablet.*revoked/);

      for (const bad of [
        [],
        ['enroll'],
        ['enroll', '--name'],
        ['revoke'],
        ['revoke', 'nope'],
        ['frobnicate'],
        ['devices', '--name', 'x'],
      ]) {
        const res = cli(dataDir, ...bad);
        if (bad.length === 0) {
          expect(res.stdout).toContain('Usage');
          continue;
        }
        expect(res.code, bad.join(' ')).not.toBe(0);
        expect(res.stderr, bad.join(' ')).toMatch(/^tender: /);
      }
    } finally {
      server.child.kill('SIGTERM');
    }
  });
});

describe('crash safety', () => {
  it('survives repeated SIGKILL during PATCHes: acknowledged offsets hold, the upload completes intact', async () => {
    const dataDir = path.join(root, 'crash');
    let server = await spawnServer(dataDir);
    const enrol = await fetch(`${server.url}/api/devices`, {
      method: 'POST',
      headers: ADMIN,
      body: JSON.stringify({ name: 'Engine room tablet' }),
    });
    const { token } = (await enrol.json()) as { token: string };
    const auth = { ...TUS, Authorization: `Bearer ${token}` };

    const data = bytes(12 * 1024 * 1024, 99);
    const created = await fetch(`${server.url}/files/`, {
      method: 'POST',
      headers: {
        ...auth,
        'Upload-Length': String(data.length),
        'Upload-Metadata': encodeMetadata({
          filename: 'engine.mp4',
          filetype: 'video/mp4',
          sha256: sha256(data),
        }),
      },
    });
    expect(created.status).toBe(201);
    const uploadPath = created.headers.get('location') ?? '';

    const outputs: (() => string)[] = [server.output];
    let acknowledged = 0;
    let kills = 0;
    const KILLS = 5;
    const CHUNK = 2 * 1024 * 1024;
    let killer: NodeJS.Timeout | undefined;
    const scheduleKill = () => {
      if (kills >= KILLS) return;
      killer = setTimeout(
        () => {
          kills++;
          server.child.kill('SIGKILL');
        },
        150 + Math.random() * 350,
      );
    };
    scheduleKill();

    for (let round = 0; round < 200; round++) {
      if (server.child.exitCode !== null || server.child.signalCode !== null) {
        server = await spawnServer(dataDir);
        outputs.push(server.output);
        scheduleKill();
      }
      const head = await fetch(`${server.url}${uploadPath}`, { method: 'HEAD', headers: auth }).catch(
        () => undefined,
      );
      if (!head) {
        await sleep(50);
        continue;
      }
      expect(head.status).toBe(200);
      const offset = Number(head.headers.get('upload-offset'));
      // Durability: what was acknowledged before a SIGKILL is still there after the restart.
      expect(offset).toBeGreaterThanOrEqual(acknowledged);
      acknowledged = offset;
      if (offset === data.length) break;
      // Sent over ~0.4 s, so that the kill lands mid-body.
      const result = await pacedPatch(
        `${server.url}${uploadPath}`,
        auth,
        offset,
        data.subarray(offset, offset + CHUNK),
        12,
      ).answer;
      if (result?.status === 204) acknowledged = result.offset;
    }
    clearTimeout(killer);
    try {
      expect(kills).toBe(KILLS);
      expect(acknowledged).toBe(data.length);
      const record = (await listRecords(server.url)).find((r) => uploadPath.endsWith(String(r.id)));
      expect(record?.sha256).toBe(sha256(data));
      const stored = fs.readFileSync(path.join(dataDir, String(record?.path)));
      expect(sha256(stored)).toBe(sha256(data));
      // Kills landed mid-body: restarts found bytes past the acknowledged offset and cut them.
      expect(outputs.map((o) => o()).join('')).toContain('unacknowledged tail discarded');
    } finally {
      server.child.kill('SIGTERM');
    }
  }, 60_000);
});
