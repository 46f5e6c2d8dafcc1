// Prints the gzip size of the page, worker and hash-worker bundles against their budgets; fails when over.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

// The service worker carries tus-js-client, Workbox, idb and the link estimator; the page's files
// are hashed in a dedicated worker of their own (hash-wasm), loaded only when a file needs checking.
const BUDGET = { page: 30_000, worker: 40_000, 'hash worker': 12_000 };
const gz = (file) => gzipSync(readFileSync(file)).length;
const assets = readdirSync('dist/assets').filter((f) => f.endsWith('.js') || f.endsWith('.css'));
const isHashWorker = (f) => f.startsWith('hashWorker-');
const sum = (files) => files.reduce((total, f) => total + gz(join('dist/assets', f)), 0);
const sizes = {
  page: sum(assets.filter((f) => !isHashWorker(f))),
  worker: gz('dist/sw.js'),
  'hash worker': sum(assets.filter(isHashWorker)),
};
if (!sizes['hash worker']) {
  console.error('no hash worker bundle (dist/assets/hashWorker-*.js) found');
  process.exit(1);
}
let over = false;
for (const [name, bytes] of Object.entries(sizes)) {
  const budget = BUDGET[name];
  over ||= bytes > budget;
  console.log(
    `${name.padEnd(11)} ${(bytes / 1000).toFixed(1)} kB gzip (budget ${(budget / 1000).toFixed(0)} kB)`,
  );
}
if (over) {
  console.error('bundle over budget');
  process.exit(1);
}
