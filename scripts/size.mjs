// Prints the gzip size of the page and worker bundles against their budgets; fails when over.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

// The worker carries tus-js-client, Workbox and a WebAssembly SHA-256 (for files shared into the app),
// and the link settings, spend ledger and admission rules (about 2.5 kB of it once all are wired).
const BUDGET = { page: 30_000, worker: 42_000 };
const gz = (file) => gzipSync(readFileSync(file)).length;
const assets = readdirSync('dist/assets').filter((f) => f.endsWith('.js') || f.endsWith('.css'));
const page = assets.reduce((sum, f) => sum + gz(join('dist/assets', f)), 0);
const worker = gz('dist/sw.js');
let over = false;
for (const [name, bytes] of Object.entries({ page, worker })) {
  const budget = BUDGET[name];
  over ||= bytes > budget;
  console.log(
    `${name.padEnd(6)} ${(bytes / 1000).toFixed(1)} kB gzip (budget ${(budget / 1000).toFixed(0)} kB)`,
  );
}
if (over) {
  console.error('bundle over budget');
  process.exit(1);
}
