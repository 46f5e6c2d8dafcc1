import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** Output and exit code of one CLI run, and when the process was started and when it exited. */
export type CliResult = {
  code: number | null;
  stdout: string;
  stderr: string;
  startedAt: number;
  exitedAt: number;
};

/**
 * The operator's CLI compiled into a directory of its own (under build/, so node_modules resolves),
 * so tests in other files rebuilding build/server cannot hand this one a half-written file.
 */
export function compileCli(): {
  run(dataDir: string, ...args: string[]): Promise<CliResult>;
  remove(): void;
} {
  const outDir = fs.mkdtempSync(path.join(ROOT, 'build', 'cli-test-'));
  execFileSync(
    path.join(ROOT, 'node_modules/.bin/tsc'),
    ['-p', 'server', '--outDir', outDir, '--tsBuildInfoFile', path.join(outDir, 'info')],
    { cwd: ROOT, stdio: 'pipe' },
  );
  const cli = path.join(outDir, 'cli.js');
  return {
    run(dataDir, ...args) {
      const startedAt = Date.now();
      return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [cli, ...args], {
          env: { ...process.env, TENDER_DATA_DIR: dataDir, PORT: '8123', TENDER_PUBLIC_URL: '' },
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
    },
    remove: () => fs.rmSync(outDir, { recursive: true, force: true }),
  };
}
