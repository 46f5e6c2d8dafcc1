// Vitest global setup: the server and CLI compiled once per test project, into a directory of their
// own under build/ (so node_modules resolves, and a rebuild of build/server cannot hand a test a
// half-written file). Test files reach it through compiledServer() in test/server/compiled.ts.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Where the server's project was compiled for this run. */
    compiledServerDir: string;
  }
}

const ROOT = path.resolve(import.meta.dirname, '../..');

export default function setup(project: TestProject) {
  fs.mkdirSync(path.join(ROOT, 'build'), { recursive: true });
  const outDir = fs.mkdtempSync(path.join(ROOT, 'build', 'server-test-'));
  const remove = () => fs.rmSync(outDir, { recursive: true, force: true });
  try {
    execFileSync(
      path.join(ROOT, 'node_modules/.bin/tsc'),
      ['-p', 'server', '--outDir', outDir, '--tsBuildInfoFile', path.join(outDir, 'info')],
      { cwd: ROOT, stdio: 'pipe' },
    );
  } catch (error) {
    remove();
    throw error;
  }
  project.provide('compiledServerDir', outDir);
  return remove;
}
