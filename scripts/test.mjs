// The one test command: typecheck, lint, build, unit tests, then end-to-end tests in Chromium.
// Prints a closing "N passed, N failed" line over both test layers.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';

const started = Date.now();
const run = (label, cmd, args, { allowFail = false } = {}) => {
  const t = Date.now();
  console.log(`\n▶ ${label}`);
  const res = spawnSync(cmd, args, { stdio: 'inherit', env: process.env });
  console.log(
    `  ${label}: ${res.status === 0 ? 'ok' : `exit ${res.status}`} in ${((Date.now() - t) / 1000).toFixed(1)} s`,
  );
  if (res.status !== 0 && !allowFail) {
    console.log(`\n0 passed, 1 failed`);
    process.exit(res.status ?? 1);
  }
  return res.status === 0;
};
const readJson = (file) => (existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : null);

mkdirSync('test-results', { recursive: true });
run('typecheck (tsc -b)', 'npx', ['tsc', '-b']);
run('lint (biome)', 'npx', ['biome', 'check', '.']);
run('build', 'npm', ['run', 'build', '--silent']);

const unitOk = run(
  'unit tests (vitest)',
  'npx',
  ['vitest', 'run', '--reporter=default', '--reporter=json', '--outputFile=test-results/vitest.json'],
  { allowFail: true },
);

const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
let e2eOk = false;
if (!existsSync(chromium)) {
  console.error(
    `\nChromium not found at ${chromium}: install Debian's chromium (apt-get install -y chromium) or set CHROMIUM_PATH.`,
  );
} else {
  e2eOk = run(
    'end-to-end tests (Playwright + Chromium)',
    'npx',
    ['playwright', 'test', ...process.argv.slice(2)],
    {
      allowFail: true,
    },
  );
}

const unit = readJson('test-results/vitest.json');
const e2e = readJson('test-results/playwright.json');
const passed = (unit?.numPassedTests ?? 0) + (e2e?.stats?.expected ?? 0);
const failed =
  (unit?.numFailedTests ?? (unitOk ? 0 : 1)) +
  (e2e ? (e2e.stats.unexpected ?? 0) + (e2e.stats.flaky ?? 0) : e2eOk ? 0 : 1);
const skipped = (unit?.numPendingTests ?? 0) + (e2e?.stats?.skipped ?? 0);
console.log(`\nAll tests took ${((Date.now() - started) / 1000).toFixed(0)} s`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(unitOk && e2eOk && failed === 0 ? 0 : 1);
