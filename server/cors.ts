import type http from 'node:http';

// Headers a cross-origin page must be able to read from Tender's answers.
const EXPOSED = [
  'Location',
  'Upload-Offset',
  'Upload-Length',
  'Upload-Metadata',
  'Upload-Expires',
  'Tus-Resumable',
  'Tus-Version',
  'Tus-Extension',
  'Tus-Max-Size',
  'Tus-Checksum-Algorithm',
  'Retry-After',
  'Content-Disposition',
].join(', ');

/** Parses TENDER_CORS_ORIGINS: comma-separated origins such as `https://tender.example.org`. */
export function parseOrigins(value: string | undefined): Set<string> {
  const origins = new Set<string>();
  for (const raw of (value ?? '').split(',')) {
    const origin = raw.trim();
    if (!origin) continue;
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      throw new Error(`Invalid TENDER_CORS_ORIGINS: ${JSON.stringify(origin)} is not an origin`);
    }
    if (url.origin !== origin.replace(/\/$/, '')) {
      throw new Error(`Invalid TENDER_CORS_ORIGINS: ${JSON.stringify(origin)} has a path; use ${url.origin}`);
    }
    origins.add(url.origin);
  }
  return origins;
}

/** Sets CORS response headers when the request's Origin is on the allowlist (none by default). */
export function applyCors(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  origins: ReadonlySet<string>,
): void {
  res.setHeader('Vary', 'Origin');
  const origin = req.headers.origin;
  if (!origin || !origins.has(origin)) return;
  res.setHeader('Access-Control-Allow-Origin', origin);
  res.setHeader('Access-Control-Expose-Headers', EXPOSED);
}

/** Answers a CORS preflight for the JSON API (tus answers its own). */
export function sendPreflight(res: http.ServerResponse): void {
  res.writeHead(204, {
    'Access-Control-Allow-Methods': 'GET, POST, DELETE, OPTIONS',
    'Access-Control-Allow-Headers': 'Authorization, Content-Type',
    'Access-Control-Max-Age': '86400',
  });
  res.end();
}
