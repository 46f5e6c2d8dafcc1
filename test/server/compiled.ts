import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { inject } from 'vitest';
import { backendEnv } from '../support/fleet/testBackends.ts';

/** Output and exit code of one CLI run, and when the process was started and when it exited. */
export type CliResult = {
  code: number | null;
  stdout: string;
  stderr: string;
  startedAt: number;
  exitedAt: number;
};

/** A server running as its own process, as operators run it. */
export type ServerProcess = { url: string; pid: number; child: ChildProcess; stop(): Promise<void> };

/** The compiled server: its CLI and its entry point. */
export type Compiled = {
  run(dataDir: string, ...args: string[]): Promise<CliResult>;
  /** The CLI with extra environment variables (e.g. a database URL). */
  runWith(env: Record<string, string>, dataDir: string, ...args: string[]): Promise<CliResult>;
  start(env: Record<string, string>): Promise<ServerProcess>;
};

/**
 * The server and CLI as compiled once for this test run by test/support/compiledServer.setup.ts
 * (which also removes them when the run ends).
 */
export function compiledServer(): Compiled {
  const outDir = inject('compiledServerDir');
  // The server's project compiles the shared engine beside it (rootDir is the repository).
  const cli = path.join(outDir, 'server', 'cli.js');
  const runWith = (env: Record<string, string>, dataDir: string, ...args: string[]): Promise<CliResult> => {
    const startedAt = Date.now();
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [cli, ...args], {
        env: { ...process.env, TENDER_DATA_DIR: dataDir, PORT: '8123', TENDER_PUBLIC_URL: '', ...env },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => {
        stdout += d;
      });
      child.stderr.on('data', (d) => {
        stderr += d;
      });
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr, startedAt, exitedAt: Date.now() }));
    });
  };
  return {
    // The CLI works on the server's backends: the same database for the same data directory.
    run: async (dataDir, ...args) => runWith(await backendEnv(dataDir), dataDir, ...args),
    runWith,
    async start(env) {
      const child = spawn(process.execPath, [path.join(outDir, 'server', 'main.js')], {
        env: { ...process.env, HOST: '127.0.0.1', PORT: '0', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stderr?.on('data', (d) => {
        output += d;
      });
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout?.on('data', (d) => {
          output += d;
          const match = /Tender listening on (\S+)/.exec(output);
          if (match?.[1]) resolve(match[1]);
        });
        child.once('exit', () => reject(new Error(`server exited:\n${output}`)));
      });
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      return {
        url,
        pid: child.pid ?? 0,
        child,
        async stop() {
          child.kill('SIGTERM');
          await exited;
        },
      };
    },
  };
}
