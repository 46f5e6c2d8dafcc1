import { type ChildProcess, spawn } from 'node:child_process';

// Services must not outlive the test process however it ends: a test runner ends its workers with
// a signal (no 'exit' event runs), and a crash or SIGKILL runs nothing at all. So one small watcher
// process per test process holds a pipe from it; when the pipe closes, for whatever reason, the
// watcher signals every service still registered, waits for them, and removes their directories.
const watcher = `
const { readFileSync, rmSync } = require('node:fs');
const pids = new Map();
const dirs = new Set();
let pending = '';
process.on('SIGINT', () => {});
process.on('SIGHUP', () => {});
const alive = (pid) => {
  try {
    const stat = readFileSync('/proc/' + pid + '/stat', 'utf8');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return false;
  }
};
process.stdin.setEncoding('utf8');
process.stdin.on('data', (data) => {
  pending += data;
  for (let end = pending.indexOf('\\n'); end >= 0; end = pending.indexOf('\\n')) {
    const [op, value, signal] = pending.slice(0, end).split('\\t');
    pending = pending.slice(end + 1);
    if (op === 'pid') pids.set(Number(value), signal);
    else if (op === 'unpid') pids.delete(Number(value));
    else if (op === 'dir') dirs.add(value);
    else if (op === 'undir') dirs.delete(value);
  }
});
process.stdin.on('end', async () => {
  for (const [pid, signal] of pids) try { process.kill(pid, signal); } catch {}
  const deadline = Date.now() + 10000;
  while ([...pids.keys()].some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  for (const pid of pids.keys()) if (alive(pid)) try { process.kill(pid, 'SIGKILL'); } catch {}
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  process.exit(0);
});
`;

let reaper: ChildProcess | undefined;

function send(line: string): void {
  if (!reaper) {
    reaper = spawn(process.execPath, ['-e', watcher], { stdio: ['pipe', 'ignore', 'inherit'] });
    // Neither the watcher nor its pipe may keep the test process alive.
    reaper.unref();
    reaper.stdin?.on('error', () => {});
    (reaper.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  }
  reaper.stdin?.write(`${line}\n`);
}

/** From now until `forget`, `pid` gets `signal` if the test process ends. */
export function reapOnExit(pid: number, signal: NodeJS.Signals): void {
  send(`pid\t${pid}\t${signal}`);
}

/** `pid` has ended by itself or been stopped. */
export function forgetPid(pid: number): void {
  send(`unpid\t${pid}`);
}

/** `dir` is removed if the test process ends before `forgetDir`. */
export function removeOnExit(dir: string): void {
  send(`dir\t${dir}`);
}

/** `dir` has been removed. */
export function forgetDir(dir: string): void {
  send(`undir\t${dir}`);
}
