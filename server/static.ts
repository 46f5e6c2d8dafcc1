import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { COMPRESSIBLE, ENCODINGS } from './precompress.ts';
import { sendText } from './respond.ts';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
  '.json': 'application/json',
  '.map': 'application/json',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

type Target = { file: string; rel: string } | { status: 400 | 404 };

/** Serves the built PWA from `staticDir` (GET/HEAD), with SPA fallback to index.html. */
export async function serveStatic(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  staticDir: string,
): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    return sendText(res, 405, 'Method not allowed\n', { Allow: 'GET, HEAD' });
  }
  const target = resolveTarget(staticDir, req.url ?? '/');
  if ('status' in target) {
    return sendText(res, target.status, target.status === 400 ? 'Bad request\n' : 'Not found\n');
  }

  let { file, rel } = target;
  let stat = await statFile(file);
  if (!stat && (rel === 'index.html' || wantsAppShell(req, rel))) {
    rel = 'index.html';
    file = path.join(staticDir, rel);
    stat = await statFile(file);
    if (!stat) {
      return sendText(res, 503, 'Tender: the web app is not built. Run `npm run build`, then reload.\n');
    }
  }
  if (!stat) return sendText(res, 404, 'Not found\n');

  // The build leaves brotli and gzip copies next to text files: send the best one the client takes.
  const compressible = COMPRESSIBLE.has(path.extname(rel).toLowerCase());
  const encoded = compressible ? await pickEncoding(req, file, stat) : undefined;
  const sent = encoded?.stat ?? stat;
  // One ETag per representation: a cache must not answer a gzip request with a brotli body's 304.
  const tag = `${stat.size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}`;
  const etag = `W/"${tag}${encoded ? `-${encoded.name}` : ''}"`;
  res.setHeader('Content-Type', CONTENT_TYPES[path.extname(rel).toLowerCase()] ?? 'application/octet-stream');
  res.setHeader('Cache-Control', cacheControl(rel));
  // Also on the plain answer: it too was chosen by Accept-Encoding, and a shared cache must know.
  if (compressible) addVary(res, 'Accept-Encoding');
  if (encoded) res.setHeader('Content-Encoding', encoded.name);
  res.setHeader('ETag', etag);
  res.setHeader('Last-Modified', stat.mtime.toUTCString());
  res.setHeader('X-Content-Type-Options', 'nosniff');
  // Revalidation is cheap over a satellite link only if unchanged files cost a 304, not a re-download.
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304).end();
    return;
  }
  res.setHeader('Content-Length', sent.size);
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  // A client that goes away mid-download is routine on a flaky link, not an error.
  await pipeline(fs.createReadStream(encoded?.file ?? file), res).catch(() => res.destroy());
}

function addVary(res: http.ServerResponse, field: string): void {
  const current = res.getHeader('Vary');
  res.setHeader('Vary', current ? `${String(current)}, ${field}` : field);
}

/** The best precompressed copy of `file` the request accepts, if the build made one. */
async function pickEncoding(req: http.IncomingMessage, file: string, original: fs.Stats) {
  const accepted = acceptedEncodings(req.headers['accept-encoding']);
  for (const { name, suffix } of ENCODINGS) {
    if (!accepted.has(name)) continue;
    const stat = await statFile(file + suffix);
    // A copy older than its file is left over from an earlier build: never serve stale code.
    if (stat && stat.mtimeMs >= original.mtimeMs) return { name, file: file + suffix, stat };
  }
  return undefined;
}

/** Codings named in Accept-Encoding with a non-zero q (a `*` stands for any). */
function acceptedEncodings(header: string | undefined): Set<string> {
  const accepted = new Set<string>();
  const refused = new Set<string>();
  for (const part of (header ?? '').toLowerCase().split(',')) {
    const [name = '', ...params] = part.split(';').map((p) => p.trim());
    if (!name) continue;
    const q = params.find((p) => p.startsWith('q='));
    if (q !== undefined && !(Number(q.slice(2)) > 0)) refused.add(name);
    else accepted.add(name);
  }
  if (accepted.has('*')) for (const { name } of ENCODINGS) if (!refused.has(name)) accepted.add(name);
  return accepted;
}

function resolveTarget(staticDir: string, url: string): Target {
  // Work on the raw path: WHATWG URL parsing would quietly collapse '..' and hide an attack.
  const rawPath = url.split('?', 1)[0] ?? '/';
  const segments: string[] = [];
  for (const raw of rawPath.split('/')) {
    if (raw === '') continue;
    let seg: string;
    try {
      seg = decodeURIComponent(raw);
    } catch {
      return { status: 400 };
    }
    if (/[/\\\0]/.test(seg)) return { status: 400 };
    // '.', '..' and dotfiles: nothing in dist/ needs them, so refuse rather than reason about them.
    if (seg.startsWith('.')) return { status: 404 };
    segments.push(seg);
  }
  const rel = segments.length ? segments.join('/') : 'index.html';
  const file = path.join(staticDir, rel);
  if (!file.startsWith(staticDir + path.sep)) return { status: 404 };
  return { file, rel };
}

function wantsAppShell(req: http.IncomingMessage, rel: string): boolean {
  const last = rel.split('/').pop() ?? '';
  return !last.includes('.') && (req.headers.accept ?? '').includes('text/html');
}

// Only vite's content-hashed assets/ may be cached forever. Everything else (sw.js, index.html,
// manifest.webmanifest, icons) is revalidated on each load, otherwise a deploy never reaches installed PWAs.
function cacheControl(rel: string): string {
  return rel.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
}

async function statFile(file: string): Promise<fs.Stats | undefined> {
  try {
    const stat = await fs.promises.stat(file);
    return stat.isFile() ? stat : undefined;
  } catch {
    return undefined;
  }
}
