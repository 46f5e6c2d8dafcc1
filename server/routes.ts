import type http from 'node:http';
import type { Refusal } from './auth.ts';
import { send, sendJson } from './respond.ts';

const MAX_PROBE_BYTES = 64 * 1024;

/** Link measurement: tiny, never cached; `?bytes=N` (up to 64 KiB) measures the downlink. */
export function probe(req: http.IncomingMessage, res: http.ServerResponse): void {
  const raw = new URL(req.url ?? '/', 'http://localhost').searchParams.get('bytes');
  const bytes = raw && /^\d{1,6}$/.test(raw) ? Math.min(Number(raw), MAX_PROBE_BYTES) : 0;
  send(res, 200, bytes ? 'x'.repeat(bytes) : 'ok', {
    'Content-Type': 'text/plain; charset=utf-8',
    'Timing-Allow-Origin': '*',
  });
}

/** Answers a refused sign-in (401, or 429 for a throttled address) with its headers. */
export function unauthorized(res: http.ServerResponse, refusal: Refusal): void {
  for (const [name, value] of Object.entries(refusal.headers)) res.setHeader(name, value);
  sendJson(res, refusal.status, { error: refusal.error });
}

/** The path of a request URL, without its query. */
export function pathOf(url: string | undefined): string {
  return (url ?? '/').split('?', 1)[0] ?? '/';
}

/** Whether `pathname` is the tus endpoint. */
export function isUploadPath(pathname: string): boolean {
  return pathname === '/files' || pathname.startsWith('/files/');
}

/** Whether `pathname` belongs to the device API. */
export function isDevicePath(pathname: string): boolean {
  return (
    pathname === '/api/device' ||
    pathname === '/api/dedupe' ||
    pathname === '/api/ashore' ||
    pathname.startsWith('/api/progress/')
  );
}
