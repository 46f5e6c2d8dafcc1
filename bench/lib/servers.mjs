import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { requestJson } from './tus.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 10_000;
const live = new Set();

/** Kills every server child still running (for process exit). */
export function killAll() {
  for (const child of live) child.kill('SIGKILL');
}

/** A temporary directory under the OS temp dir, removed by the caller. */
export function tempDir(label) {
  return fs.mkdtempSync(path.join(os.tmpdir(), `tender-bench-${label}-`));
}

/** Resident set size of a process in bytes, from /proc/<pid>/status (Linux only). */
export function rssOf(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!match) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) * 1024;
}

// Spawns `node <script>`, waits for the line announcing its URL, and keeps draining its output so
// request logs never fill the pipe. The last lines are kept for error messages.
async function startChild(label, script, env, urlPattern) {
  const child = spawn(process.execPath, [script], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
  const tail = [];
  const keep = (line) => {
    tail.push(line);
    if (tail.length > 20) tail.shift();
  };
  readline.createInterface({ input: child.stderr }).on('line', keep);
  const lines = readline.createInterface({ input: child.stdout });
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => fail(new Error(`${label} did not start in ${START_TIMEOUT_MS} ms`)),
      START_TIMEOUT_MS,
    );
    const onExit = (code) => fail(new Error(`${label} exited (${code}) before listening`));
    function fail(error) {
      clearTimeout(timer);
      child.off('exit', onExit);
      child.kill('SIGKILL');
      reject(new Error(`${error.message}\n${tail.join('\n')}`));
    }
    child.once('exit', onExit);
    lines.on('line', (line) => {
      keep(line);
      const match = urlPattern.exec(line);
      if (match) {
        clearTimeout(timer);
        child.off('exit', onExit);
        resolve(match[1]);
      }
    });
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    url,
    pid: child.pid,
    tail: () => tail.join('\n'),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}

/** Stock @tus/server + @tus/file-store in a child process, storing into a fresh temp directory; `fsync` adds an fdatasync per PATCH. */
export async function startBaseline({ fsync = false } = {}) {
  const dir = tempDir('baseline');
  const child = await startChild(
    'baseline tus server',
    path.join(ROOT, 'bench/lib/baselineServer.mjs'),
    { BENCH_TUS_DIR: dir, BENCH_TUS_FSYNC: fsync ? '1' : '0' },
    /listening on (\S+)/,
  );
  return {
    ...child,
    kind: 'baseline',
    dir,
    /** Path of a stored upload's bytes. */
    fileOf: (uploadUrl) => path.join(dir, new URL(uploadUrl).pathname.split('/').pop() ?? ''),
    async stop() {
      await child.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Tender's built server (build/server/main.js) in a child process with a fresh data directory, or
 * the TENDER_DATA_DIR and TENDER_ADMIN_TOKEN of `extraEnv` (instances of a fleet share them).
 */
export async function startTender(extraEnv = {}) {
  const dataDir = extraEnv.TENDER_DATA_DIR ?? tempDir('tender');
  const adminToken = extraEnv.TENDER_ADMIN_TOKEN ?? randomBytes(24).toString('base64url');
  const child = await startChild(
    'Tender server',
    path.join(ROOT, 'build/server/main.js'),
    {
      PORT: '0',
      HOST: '127.0.0.1',
      TENDER_DATA_DIR: dataDir,
      TENDER_ADMIN_TOKEN: adminToken,
      ...extraEnv,
    },
    /Tender listening on (\S+)/,
  );
  return {
    ...child,
    kind: 'tender',
    dataDir,
    adminToken,
    /** Enrols a device through the admin API; returns its bearer token. */
    async enroll(name) {
      const device = await requestJson(new URL('/api/devices', child.url), {
        method: 'POST',
        token: adminToken,
        body: { name },
        expect: 201,
      });
      return device.token;
    },
    /** The upload records, newest first (GET /api/uploads). */
    async records(limit = 1000) {
      return requestJson(new URL(`/api/uploads?limit=${limit}`, child.url), { token: adminToken });
    },
    async stop() {
      await child.stop();
      if (!extraEnv.TENDER_DATA_DIR) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
