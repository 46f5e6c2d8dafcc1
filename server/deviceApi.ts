import type http from 'node:http';
import { readJson } from './body.ts';
import type { Device } from './devices.ts';
import type { DiskRoom } from './diskRoom.ts';
import type { TypeAllowlist } from './fileTypes.ts';
import type { DeviceLimits } from './limits.ts';
import type { Logger } from './log.ts';
import { checkMetadata } from './metadata.ts';
import type { Metrics } from './metrics.ts';
import type { UploadRecords } from './records.ts';
import { sendJson, sendNotAllowed } from './respond.ts';
import type { Uploads } from './uploads.ts';

/** Collaborators of the device API. */
export type DeviceApiOptions = {
  records: UploadRecords;
  uploads: Uploads;
  types: TypeAllowlist;
  disk: DiskRoom;
  /** The per-device request rate every device request takes from, tus or API. */
  limits: DeviceLimits;
  metrics: Metrics;
  log: Logger;
};

// A duplicate costs a record and a directory entry, not its size; this stands in for both.
const DUPLICATE_COST_BYTES = 64 * 1024;

const PROGRESS = /^\/api\/progress\/([A-Za-z0-9_-]{1,128})$/;

/** Routes a device request (already authenticated); returns false if the path is not a device one. */
export async function handleDevice(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  pathname: string,
  device: Device,
  opts: DeviceApiOptions,
): Promise<boolean> {
  const method = req.method ?? '';
  const wait = await opts.limits.take(device.deviceId);
  if (wait > 0) {
    opts.metrics.rateLimited++;
    res.setHeader('Retry-After', String(wait));
    sendJson(res, 429, { error: 'too many requests from this device' });
    return true;
  }
  if (pathname === '/api/device') {
    if (method !== 'GET' && method !== 'HEAD') return notAllowed(res, 'GET, HEAD');
    sendJson(res, 200, { deviceId: device.deviceId, name: device.name });
    return true;
  }
  const progress = PROGRESS.exec(pathname);
  if (progress?.[1]) {
    if (method !== 'GET' && method !== 'HEAD') return notAllowed(res, 'GET, HEAD');
    const id = progress[1];
    const mine = (await opts.uploads.ownerOf(id)) === device.deviceId;
    const value = mine ? await opts.uploads.store.progress(id) : undefined;
    if (!value) sendJson(res, 404, { error: 'not found' });
    else sendJson(res, 200, value);
    return true;
  }
  if (pathname === '/api/dedupe') {
    if (method !== 'POST') return notAllowed(res, 'POST');
    let body: { sha256?: unknown; size?: unknown; metadata?: unknown };
    try {
      body = ((await readJson(req)) ?? {}) as typeof body;
    } catch (error) {
      sendJson(res, 400, { error: (error as Error).message });
      return true;
    }
    const sha256 = typeof body.sha256 === 'string' ? body.sha256.toLowerCase() : '';
    if (!/^[0-9a-f]{64}$/.test(sha256)) {
      sendJson(res, 400, { error: 'sha256 must be 64 hexadecimal digits' });
      return true;
    }
    if (!Number.isSafeInteger(body.size) || (body.size as number) < 0) {
      sendJson(res, 400, { error: 'size must be a non-negative integer' });
      return true;
    }
    const check = checkMetadata(body.metadata ?? {}, opts.types);
    if (!check.ok) {
      sendJson(res, check.status, { error: check.error });
      return true;
    }
    check.metadata.sha256 = sha256;
    const original = await opts.records.findContent(sha256, body.size as number);
    if (!original) {
      sendJson(res, 404, { error: 'no stored upload has this content; upload it' });
      return true;
    }
    const room = await opts.disk.fits(DUPLICATE_COST_BYTES);
    if (!room.ok) {
      opts.log('warn', 'duplicate refused: disk quota', room);
      sendJson(res, 507, { error: 'the server does not have room for this upload' });
      return true;
    }
    const record = await opts.uploads.filing.recordDuplicate(device.deviceId, original, check.metadata);
    // Only this device's new record: nothing about the upload it duplicates, whose device it was.
    sendJson(res, 200, { id: record.id });
    return true;
  }
  return false;
}

function notAllowed(res: http.ServerResponse, allow: string): true {
  sendNotAllowed(res, allow);
  return true;
}
