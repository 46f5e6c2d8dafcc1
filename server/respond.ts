import type http from 'node:http';

/** Sends a complete response with a fixed body (HEAD gets the headers only). */
export function send(
  res: http.ServerResponse,
  status: number,
  body: string,
  headers: http.OutgoingHttpHeaders,
): void {
  // API answers describe live state; a cached copy would show a stale upload list or stale metrics.
  res.writeHead(status, {
    'Cache-Control': 'no-store',
    'Content-Length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

/** Sends a short plain-text response (errors, notices). */
export function sendText(
  res: http.ServerResponse,
  status: number,
  body: string,
  headers: http.OutgoingHttpHeaders = {},
): void {
  send(res, status, body, { 'Content-Type': 'text/plain; charset=utf-8', ...headers });
}

/** Answers 405 Method Not Allowed, naming in `Allow` the methods the resource takes. */
export function sendNotAllowed(res: http.ServerResponse, allow: string): void {
  res.setHeader('Allow', allow);
  sendJson(res, 405, { error: 'method not allowed' });
}

/** Sends `value` as JSON. */
export function sendJson(res: http.ServerResponse, status: number, value: unknown): void {
  send(res, status, JSON.stringify(value), { 'Content-Type': 'application/json; charset=utf-8' });
}
