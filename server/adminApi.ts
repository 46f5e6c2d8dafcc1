import type http from 'node:http';
import { pipeline } from 'node:stream/promises';
import { readJson } from './body.ts';
import { cleanDeviceName, type Devices } from './devices.ts';
import type { Faults } from './faults.ts';
import { normaliseType } from './fileTypes.ts';
import { safeSegment } from './layout.ts';
import type { Logger } from './log.ts';
import type { Metrics } from './metrics.ts';
import { describeUnfinished, type Partial } from './partials.ts';
import type { RecordQuery, UploadRecords } from './records.ts';
import { send, sendJson, sendNotAllowed } from './respond.ts';
import { storedKey, type UploadBytes } from './uploadBytes.ts';

/** Collaborators of the admin API. */
export type AdminApiOptions = {
  /** Where the recorded files are read from. */
  bytes: UploadBytes;
  devices: Devices;
  records: UploadRecords;
  metrics: Metrics;
  log: Logger;
  faults?: Faults;
  /** The link a device opens once to get its token (a one-time code, not the token). */
  enrollUrl(deviceId: string, token: string): Promise<string>;
  /** Called after a device is revoked, to cut its open requests and release its reservations. */
  onRevoke(deviceId: string): void;
  /** A device's unfinished uploads. */
  unfinished(deviceId: string): Promise<Partial[]>;
  /** Cuts a device's open requests and deletes its unfinished uploads; resolves to how many. */
  dropUnfinished(deviceId: string): Promise<number>;
};

const UPLOAD = /^\/api\/uploads\/([A-Za-z0-9_-]{1,128})(\/content)?$/;
const DEVICE = /^\/api\/devices\/([A-Za-z0-9_-]{1,64})$/;
const DEVICE_UPLOADS = /^\/api\/devices\/([A-Za-z0-9_-]{1,64})\/unfinished$/;
const MAX_PAGE = 1000;

/** Routes an admin request (already authenticated); returns false if the path is not an admin one. */
export async function handleAdmin(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  url: URL,
  opts: AdminApiOptions,
): Promise<boolean> {
  const { pathname } = url;
  const method = req.method ?? '';
  if (pathname === '/metrics') {
    if (!allow(req, res, 'GET, HEAD')) return true;
    send(res, 200, opts.metrics.render(), { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
    return true;
  }
  if (pathname === '/api/devices') {
    if (method === 'POST') {
      let name: string;
      try {
        name = cleanDeviceName(((await readJson(req)) as { name?: unknown } | null)?.name);
      } catch (error) {
        sendJson(res, 400, { error: (error as Error).message });
        return true;
      }
      const { deviceId, token } = await opts.devices.enroll(name);
      opts.log('info', 'device enrolled', { deviceId, name });
      sendJson(res, 201, { deviceId, name, token, enrollUrl: await opts.enrollUrl(deviceId, token) });
      return true;
    }
    if (!allow(req, res, 'GET, HEAD, POST')) return true;
    sendJson(res, 200, await opts.devices.list());
    return true;
  }
  const unfinished = DEVICE_UPLOADS.exec(pathname);
  if (unfinished?.[1]) {
    if (!allow(req, res, 'GET, HEAD, DELETE', ['GET', 'HEAD', 'DELETE'])) return true;
    const deviceId = unfinished[1];
    if (!(await opts.devices.get(deviceId))) {
      sendJson(res, 404, { error: 'no such device' });
    } else if (method === 'DELETE') {
      const dropped = await opts.dropUnfinished(deviceId);
      opts.log('info', 'unfinished uploads dropped', { deviceId, dropped });
      sendJson(res, 200, { dropped });
    } else {
      sendJson(res, 200, (await opts.unfinished(deviceId)).map(describeUnfinished));
    }
    return true;
  }
  const device = DEVICE.exec(pathname);
  if (device?.[1]) {
    if (!allow(req, res, 'DELETE', ['DELETE'])) return true;
    if (!(await opts.devices.revoke(device[1]))) {
      sendJson(res, 404, { error: 'no such device' });
      return true;
    }
    opts.onRevoke(device[1]);
    opts.log('info', 'device revoked', { deviceId: device[1] });
    res.writeHead(204, { 'Cache-Control': 'no-store' }).end();
    return true;
  }
  if (pathname === '/api/uploads') {
    if (!allow(req, res, 'GET, HEAD')) return true;
    const query = parseQuery(url.searchParams);
    if (query instanceof Error) sendJson(res, 400, { error: query.message });
    else sendJson(res, 200, await opts.records.list(query));
    return true;
  }
  const upload = UPLOAD.exec(pathname);
  if (upload?.[1]) {
    if (!allow(req, res, 'GET, HEAD')) return true;
    const record = await opts.records.get(upload[1]);
    if (!record) sendJson(res, 404, { error: 'no such upload' });
    else if (!upload[2]) sendJson(res, 200, record);
    else await sendContent(req, res, opts.bytes, record);
    return true;
  }
  if (pathname === '/__test/faults' && opts.faults) {
    if (method === 'DELETE') {
      opts.faults.clear();
      res.writeHead(204).end();
      return true;
    }
    if (!allow(req, res, 'POST, DELETE', ['POST'])) return true;
    let error: Error | undefined;
    try {
      error = opts.faults.add(await readJson(req));
    } catch (e) {
      error = e as Error;
    }
    if (error) sendJson(res, 400, { error: error.message });
    else res.writeHead(204).end();
    return true;
  }
  return false;
}

function allow(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  header: string,
  methods = ['GET', 'HEAD'],
) {
  if (methods.includes(req.method ?? '')) return true;
  sendNotAllowed(res, header);
  return false;
}

function parseQuery(params: URLSearchParams): RecordQuery | Error {
  const query: RecordQuery = {};
  for (const key of ['device', 'type', 'q'] as const) {
    const value = params.get(key);
    if (value) query[key] = value;
  }
  for (const key of ['since', 'until'] as const) {
    const value = params.get(key);
    if (!value) continue;
    const time = Date.parse(value);
    if (Number.isNaN(time)) return new Error(`${key} must be an ISO 8601 date or time`);
    query[key] = new Date(time).toISOString();
  }
  for (const [key, max] of [
    ['limit', MAX_PAGE],
    ['offset', Number.MAX_SAFE_INTEGER],
  ] as const) {
    const value = params.get(key);
    if (value === null) continue;
    if (!/^\d+$/.test(value) || Number(value) > max)
      return new Error(`${key} must be an integer from 0 to ${max}`);
    query[key] = Number(value);
  }
  return query;
}

async function sendContent(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  bytes: UploadBytes,
  record: { id: string; path: string | null; name: string; type: string },
): Promise<void> {
  const stored = await bytes.open(storedKey(record)).catch(() => undefined);
  if (!stored) {
    sendJson(res, 410, { error: 'the stored file is missing' });
    return;
  }
  const ascii = safeSegment(record.name, 'file')
    .replace(/[^\x20-\x7e]/g, '_')
    .replace(/["\\]/g, '_');
  res.writeHead(200, {
    'Content-Type': normaliseType(record.type) ?? 'application/octet-stream',
    'Content-Length': stored.size,
    'Content-Disposition': `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(safeSegment(record.name, 'file'))}`,
    // Uploaded HTML or SVG must never run as this origin's page.
    'Content-Security-Policy': "sandbox; default-src 'none'",
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-store',
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  await pipeline(stored.stream(), res).catch(() => res.destroy());
}
