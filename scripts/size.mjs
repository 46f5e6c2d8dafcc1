// Prints the gzip size of what the page loads first, of each part it loads later, of the worker and
// of the hash worker, against their budgets; fails when any is over.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

// The page's first load is what a crew member waits for over the satellite link before the uploads
// screen shows: the entry script, the scripts it imports statically and its styles. Parts loaded on
// demand (the Settings screen, workbox-window after the first paint) are budgeted one by one. The
// service worker carries tus-js-client, Workbox, idb and the link estimator; the page's files are
// hashed in a dedicated worker of their own (hash-wasm), loaded only when a file needs checking.
const BUDGET = { 'first load': 30_000, 'each later part': 10_000, worker: 40_000, 'hash worker': 12_000 };
const gz = (file) => gzipSync(readFileSync(join('dist', file))).length;
const kB = (bytes) => `${(bytes / 1000).toFixed(1)} kB`;

/** Vite's build manifest: each chunk by source, with its file, static imports and styles. */
const manifest = JSON.parse(readFileSync('dist/.vite/manifest.json', 'utf8'));
const entryKeys = Object.keys(manifest).filter((k) => manifest[k].isEntry);
if (entryKeys.length !== 1) {
  console.error(`expected one page entry in dist/.vite/manifest.json, found ${entryKeys.length}`);
  process.exit(1);
}

/** Files a chunk brings with it: its own, its styles and, recursively, its static imports. */
function filesOf(key, into = new Set()) {
  const chunk = manifest[key];
  if (!chunk || into.has(chunk.file)) return into;
  into.add(chunk.file);
  for (const css of chunk.css ?? []) into.add(css);
  for (const imported of chunk.imports ?? []) filesOf(imported, into);
  return into;
}
const sum = (files) => [...files].reduce((total, f) => total + gz(f), 0);

const firstLoad = filesOf(entryKeys[0]);
const firstLoadBytes = sum(firstLoad);
const rows = [['first load', firstLoadBytes, BUDGET['first load']]];
const later = new Set();
for (const [key, chunk] of Object.entries(manifest)) {
  if (!chunk.isDynamicEntry) continue;
  const own = [...filesOf(key)].filter((f) => !firstLoad.has(f));
  for (const f of own) later.add(f);
  const name = (chunk.name ?? key).replace(/^.*\//, '');
  rows.push([`  later: ${name}`, sum(own), BUDGET['each later part']]);
}

const assets = readdirSync('dist/assets').filter((f) => /\.(js|css)$/.test(f));
const hashWorker = assets.filter((f) => f.startsWith('hashWorker-')).map((f) => `assets/${f}`);
if (!hashWorker.length) {
  console.error('no hash worker bundle (dist/assets/hashWorker-*.js) found');
  process.exit(1);
}
// Anything the manifest does not account for would escape every budget: refuse it.
const unaccounted = assets
  .map((f) => `assets/${f}`)
  .filter((f) => !firstLoad.has(f) && !later.has(f) && !hashWorker.includes(f));
if (unaccounted.length) {
  console.error(`page assets the build manifest does not name: ${unaccounted.join(', ')}`);
  process.exit(1);
}
rows.push(['worker', gz('sw.js'), BUDGET.worker], ['hash worker', sum(hashWorker), BUDGET['hash worker']]);

let over = false;
for (const [name, bytes, budget] of rows) {
  over ||= bytes > budget;
  console.log(`${name.padEnd(34)} ${kB(bytes).padStart(8)} gzip (budget ${kB(budget)})`);
}
console.log(`${'page, all parts'.padEnd(34)} ${kB(firstLoadBytes + sum(later)).padStart(8)} gzip`);
if (over) {
  console.error('bundle over budget');
  process.exit(1);
}
