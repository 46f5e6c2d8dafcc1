// The baselines' pages, written into one directory that a Tender server serves as its web app
// (TENDER_STATIC_DIR), so they load from the same origin and through the same link as the app does.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLIENTS = path.join(ROOT, 'bench/clients');

/** Paths of the pages under the server's root. */
export const PAGES = { workbox: '/workbox.html', tus: '/tus.html' };

/**
 * Bundles the Workbox baseline's worker (workbox-background-sync from node_modules) and copies the
 * pages and tus-js-client's browser build into `dir`.
 */
export async function buildClientPages(dir) {
  fs.mkdirSync(dir, { recursive: true });
  await build({
    input: path.join(CLIENTS, 'workbox/sw.js'),
    platform: 'browser',
    logLevel: 'warn',
    // Workbox's development logging is left out, as in any production build.
    transform: { define: { 'process.env.NODE_ENV': '"production"' } },
    output: { file: path.join(dir, 'workbox-sw.js'), format: 'iife', minify: true },
  });
  const copies = {
    'workbox/index.html': 'workbox.html',
    'workbox/page.js': 'workbox-page.js',
    'tus/index.html': 'tus.html',
    'tus/page.js': 'tus-page.js',
  };
  for (const [from, to] of Object.entries(copies))
    fs.copyFileSync(path.join(CLIENTS, from), path.join(dir, to));
  fs.copyFileSync(
    path.join(ROOT, 'node_modules/tus-js-client/dist/tus.min.js'),
    path.join(dir, 'tus.min.js'),
  );
  return dir;
}
