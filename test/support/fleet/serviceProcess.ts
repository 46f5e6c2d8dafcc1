import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { forgetDir, forgetPid, reapOnExit, removeOnExit } from './reaper.ts';

/** The first of `paths` that exists; else an error saying which Debian package brings `what`. */
export function requireBinary(what: string, paths: readonly string[], debianPackage: string): string {
  const found = paths.find((path) => existsSync(path));
  if (found) return found;
  throw new Error(
    `${what} not found (looked for ${paths.join(', ')}): install Debian's ${debianPackage} ` +
      `(apt-get install -y --no-install-recommends ${debianPackage}; .ci/run does this)`,
  );
}

/** A loopback port free right now (the kernel picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject()));
    });
  });
}

/** True if something accepts a TCP connection on loopback `port`. */
export function acceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** `count` distinct free loopback ports. */
export async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

/** A new directory under the system's temp dir, removed by `removeDir` or when the test process ends. */
export function makeServiceDir(service: string): string {
  const dir = mkdtempSync(join(tmpdir(), `tender-fleet-${service}-`));
  chmodSync(dir, 0o755);
  removeOnExit(dir);
  return dir;
}

/** Removes a directory made by `makeServiceDir`. */
export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  forgetDir(dir);
}

/** uid and gid of a system account, for services that refuse to run as root. */
export function accountIds(user: string, debianPackage: string): { uid: number; gid: number } {
  try {
    const uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    throw new Error(`no '${user}' account: install Debian's ${debianPackage}, which creates it`);
  }
}

export interface ServiceProcessOptions {
  /** Names the service in errors. */
  name: string;
  command: string;
  args: readonly string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  uid?: number;
  gid?: number;
  /** Signal for a clean stop (default SIGTERM). */
  stopSignal?: NodeJS.Signals;
  /** Signal sent if the test process exits while the service still runs (default `stopSignal`). */
  exitSignal?: NodeJS.Signals;
}

/** A service's child process: its recent output for error messages, its exit, a clean stop. */
export class ServiceProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  readonly exitSignal: NodeJS.Signals;
  private readonly options: ServiceProcessOptions;
  private tail = '';
  private exitCode: number | null | undefined;

  constructor(options: ServiceProcessOptions) {
    this.options = options;
    this.exitSignal = options.exitSignal ?? options.stopSignal ?? 'SIGTERM';
    this.child = spawn(options.command, options.args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      uid: options.uid,
      gid: options.gid,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (chunk: Buffer) => {
      this.tail = (this.tail + chunk.toString('utf8')).slice(-8000);
    };
    this.child.stdout?.on('data', keep);
    this.child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => {
      this.child.once('error', (error) => {
        keep(Buffer.from(String(error)));
        this.exitCode = null;
        resolve(null);
      });
      this.child.once('exit', (code) => {
        this.exitCode = code;
        if (this.child.pid !== undefined) forgetPid(this.child.pid);
        resolve(code);
      });
    });
    if (this.child.pid !== undefined) reapOnExit(this.child.pid, this.exitSignal);
  }

  /** True once the process has ended. */
  get hasExited(): boolean {
    return this.exitCode !== undefined;
  }

  /** The last few kB the process printed. */
  get output(): string {
    return this.tail;
  }

  /** Sends the stop signal and waits for the process to end (SIGKILL after `graceMs`). */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.hasExited) return;
    this.child.kill(this.options.stopSignal ?? 'SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /**
   * Polls `ready` every `intervalMs` until it returns true; fails at once if the process ends, and with
   * its output after `timeoutMs`. `ready` may throw while the service is still starting.
   */
  async waitUntil(what: string, ready: () => Promise<boolean>, timeoutMs = 30_000, intervalMs = 25) {
    const started = Date.now();
    let lastError: unknown;
    for (;;) {
      if (this.hasExited) {
        throw new Error(`${this.options.name} exited (${this.exitCode}) before ${what}:\n${this.tail}`);
      }
      try {
        if (await ready()) return;
      } catch (error) {
        lastError = error;
      }
      if (Date.now() - started > timeoutMs) {
        throw new Error(
          `${this.options.name}: no ${what} within ${timeoutMs} ms (last error: ${String(lastError)}):\n${this.tail}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}

/** Runs a command to completion (setup steps such as initdb); throws with its output if it fails. */
export function runToCompletion(options: ServiceProcessOptions): Promise<void> {
  const step = new ServiceProcess(options);
  return step.exited.then((code) => {
    if (code !== 0) throw new Error(`${options.name} failed (exit ${code}):\n${step.output}`);
  });
}
