import type http from 'node:http';
import type { Auth } from './auth.ts';
import { type BlockChecksums, parseBlockChecksums } from './blockChecksums.ts';
import { CHECKSUM_ALGORITHMS, type Checksum, parseChecksum } from './checksum.ts';
import type { DeviceRequests } from './deviceRequests.ts';
import type { DiskRoom } from './diskRoom.ts';
import type { Faults } from './faults.ts';
import type { TypeAllowlist } from './fileTypes.ts';
import type { DeviceLimits } from './limits.ts';
import type { Logger } from './log.ts';
import { checkMetadataHeader } from './metadata.ts';
import type { Metrics } from './metrics.ts';
import type { Partials } from './partials.ts';
import { checkQuota, type DeviceQuota } from './quota.ts';
import {
  applyMethodOverride,
  checkPatchHeaders,
  checkVersion,
  type Refusal,
  TUS_VERSION,
} from './tusRules.ts';
import type { Uploads } from './uploads.ts';

/** Settings and collaborators of the /files gateway. */
export type TusGatewayOptions = {
  maxUploadBytes: number;
  /** The server-wide disk check. */
  disk: DiskRoom;
  /** Per-device caps on unfinished uploads: total size and count. */
  quota: DeviceQuota;
  types: TypeAllowlist;
  auth: Auth;
  limits: DeviceLimits;
  /** Open requests per device, cut when the device is revoked. */
  requests: DeviceRequests;
  /** Present only when test faults are enabled. */
  faults?: Faults;
  uploads: Uploads;
  partials: Partials;
  metrics: Metrics;
  log: Logger;
};

type OpenPatch = { req: http.IncomingMessage; deviceId: string };

const UPLOAD_PATH = /^\/files\/([A-Za-z0-9_-]{1,128})\/?$/;
const CONCURRENCY_RETRY_AFTER_S = 2;
// A device at its quota waits for its own uploads to finish (or for the operator to drop them).
const QUOTA_RETRY_AFTER_S = 60;

/**
 * Everything in front of @tus/server for /files: device auth, ownership, limits, metadata and
 * checksum validation, the disk quota, and cutting off a stale PATCH when its client resumes.
 */
export class TusGateway {
  private readonly opts: TusGatewayOptions;
  private readonly openPatches = new Map<string, OpenPatch>();

  constructor(opts: TusGatewayOptions) {
    this.opts = opts;
  }

  /** Handles one request under /files. */
  async handle(req: http.IncomingMessage, res: http.ServerResponse, pathname: string): Promise<void> {
    const { auth, limits, uploads, metrics } = this.opts;
    const overridden = applyMethodOverride(req);
    if (overridden) return refuse(res, overridden);
    const method = req.method ?? '';
    if (method === 'OPTIONS') {
      res.setHeader('Tus-Checksum-Algorithm', CHECKSUM_ALGORITHMS.join(','));
      return uploads.tus.handle(req, res);
    }
    // tus's GET handler would hand stored files to anyone holding the URL; content is admin-only.
    if (method === 'GET') return fail(res, 404, 'not found');
    const version = checkVersion(req);
    if (version) return refuse(res, version);

    const who = await auth.device(req);
    if (!who.ok) return fail(res, who.status, who.error, who.headers);
    const deviceId = who.device.deviceId;
    this.opts.requests.track(deviceId, req, res);

    const wait = await limits.take(deviceId);
    if (wait > 0) {
      metrics.rateLimited++;
      return fail(res, 429, 'too many requests from this device', { 'Retry-After': String(wait) });
    }

    const isCollection = pathname === '/files' || pathname === '/files/';
    const id = UPLOAD_PATH.exec(pathname)?.[1];
    if (method === 'POST' ? !isCollection : !id) return fail(res, 404, 'not found');
    // Another device's upload does not exist as far as this one can tell.
    if (id && (await uploads.ownerOf(id)) !== deviceId) return fail(res, 404, 'not found');

    const malformed = method === 'PATCH' ? checkPatchHeaders(req) : undefined;
    if (malformed) return refuse(res, malformed);
    if (method === 'DELETE' && id && (await uploads.isComplete(id))) {
      return fail(res, 409, 'this upload is complete; completed uploads are kept and never deleted');
    }

    if (id) this.closeStalePatch(id, req);

    let checksum: Checksum | undefined;
    const checksumHeader = req.headers['upload-checksum'];
    if (checksumHeader !== undefined && (method === 'PATCH' || method === 'POST')) {
      const parsed = parseChecksum(String(checksumHeader));
      if (parsed instanceof Error) return fail(res, 400, parsed.message);
      checksum = parsed;
    }
    let blocks: BlockChecksums | undefined;
    const blocksHeader = req.headers['upload-block-checksums'];
    if (blocksHeader !== undefined && (method === 'PATCH' || method === 'POST')) {
      const parsed = parseBlockChecksums(String(blocksHeader), req.headers['content-length']);
      if (parsed instanceof Error) return fail(res, 400, parsed.message);
      blocks = parsed;
    }

    let create: { id: string; metadata: Record<string, string> } | undefined;
    if (method === 'POST') {
      const prepared = await this.prepareCreate(req, res, deviceId);
      if (!prepared) return;
      create = prepared;
    }

    if (method === 'PATCH' || method === 'POST') {
      // Listening first: the connection may close while a shared limit is still answering.
      const entered = limits.enter(deviceId, req);
      res.once(
        'close',
        () =>
          void entered.then(
            (ok) => ok && limits.leave(deviceId, req),
            () => {},
          ),
      );
      if (!(await entered)) {
        metrics.rateLimited++;
        return fail(res, 429, 'too many uploads open at once from this device', {
          'Retry-After': String(CONCURRENCY_RETRY_AFTER_S),
        });
      }
    }

    const fault = this.opts.faults?.take(method);
    if (fault) {
      res.writeHead(fault.status, { 'Tus-Resumable': '1.0.0', ...fault.headers });
      res.end(method === 'HEAD' ? undefined : (fault.body ?? ''));
      return;
    }

    if (method === 'PATCH' && id) {
      const entry = { req, deviceId };
      this.openPatches.set(id, entry);
      res.once('close', () => {
        if (this.openPatches.get(id) === entry) this.openPatches.delete(id);
      });
    }
    // Make sure a record exists before a HEAD reports the upload finished.
    if (method === 'HEAD' && id) {
      await uploads.reconcile(id).catch((error: unknown) => {
        // A file that fails verification is discarded; tus then answers 404 and the client restarts.
        this.opts.log('error', 'could not finish upload', { id, error: errorText(error) });
      });
    }
    if (create) {
      const { id: created } = create;
      res.once('close', () => {
        if (res.writableFinished && res.statusCode === 201) return;
        void uploads.sweeper.dropUnannounced(created);
      });
    }
    await uploads.handle(req, res, { deviceId, checksum, blocks, create });
  }

  // A new request for an upload means its client has given up on any older PATCH (a silent stall on
  // the satellite link). Left alone, that PATCH would hold the upload's lock until @tus/server's
  // drain timeout; destroying it releases the lock as soon as its received bytes are acknowledged.
  private closeStalePatch(id: string, req: http.IncomingMessage): void {
    const older = this.openPatches.get(id);
    if (!older || older.req === req) return;
    if (req.method === 'PATCH') this.opts.metrics.concurrentPatches++;
    this.opts.metrics.stalePatchesClosed++;
    this.openPatches.delete(id);
    // Free its slot now: its 'close' comes later, and the resuming client must not see a 429.
    this.opts.limits.leave(older.deviceId, older.req);
    older.req.socket.destroy();
    this.opts.log('info', 'stale PATCH closed', { id, by: req.method });
  }

  private async prepareCreate(req: http.IncomingMessage, res: http.ServerResponse, deviceId: string) {
    const { maxUploadBytes, types, partials, disk, uploads, quota } = this.opts;
    const lengthHeader = req.headers['upload-length'];
    // Without a valid Upload-Length, tus itself answers (400, or 501 for a deferred length).
    const length =
      typeof lengthHeader === 'string' && /^\d{1,16}$/.test(lengthHeader) ? Number(lengthHeader) : undefined;
    if (length !== undefined && length > maxUploadBytes) {
      fail(res, 413, `upload is larger than the ${maxUploadBytes}-byte limit`);
      return undefined;
    }
    const metadataHeader = req.headers['upload-metadata'];
    const check = checkMetadataHeader(typeof metadataHeader === 'string' ? metadataHeader : undefined, types);
    if (!check.ok) {
      fail(res, check.status, check.error);
      return undefined;
    }
    const over = await checkQuota(partials, deviceId, length, quota);
    if (over) {
      if (over.status === 429) this.opts.metrics.rateLimited++;
      fail(
        res,
        over.status,
        over.error,
        over.status === 429 ? { 'Retry-After': String(QUOTA_RETRY_AFTER_S) } : {},
      );
      return undefined;
    }
    if (length !== undefined) {
      const room = await disk.fits(length);
      if (!room.ok) {
        this.opts.log('warn', 'upload refused: disk quota', { ...room, length });
        fail(res, 507, 'the server does not have room for this upload');
        return undefined;
      }
    }
    return { id: uploads.newId(), metadata: check.metadata };
  }
}

function refuse(res: http.ServerResponse, refusal: Refusal): void {
  fail(res, refusal.status, refusal.error, refusal.headers);
}

/** A JSON `{ error }` answer that a tus client (and a cross-origin page) can read. */
function fail(
  res: http.ServerResponse,
  status: number,
  error: string,
  headers: http.OutgoingHttpHeaders = {},
): void {
  const body = JSON.stringify({ error });
  res.writeHead(status, {
    'Tus-Resumable': TUS_VERSION,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

function errorText(error: unknown): string {
  if (error && typeof error === 'object' && 'body' in error)
    return String((error as { body: unknown }).body).trim();
  return String(error);
}
