import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { TenderConfig } from './config.ts';
import { jsonLogger, type Logger } from './log.ts';
import { Metrics } from './metrics.ts';
import { UploadRecords } from './records.ts';
import { send, sendJson, sendText } from './respond.ts';
import { serveStatic } from './static.ts';
import { Uploads } from './uploads.ts';

/** A listening Tender server. */
export type Tender = {
  server: http.Server;
  /** Base URL, e.g. http://127.0.0.1:8080 (the real port when config.port was 0). */
  url: string;
  /** Stops accepting, cuts remaining connections after a short grace, closes the database. Idempotent. */
  close(): Promise<void>;
};

/** Optional collaborators, mainly for tests. */
export type TenderOptions = { log?: Logger };

const HEADERS_TIMEOUT_MS = 30_000;
const SHUTDOWN_GRACE_MS = 5_000;
const MAINTENANCE_INTERVAL_MS = 60 * 60 * 1000;
const UPLOAD_ID = /^[A-Za-z0-9_-]{1,128}$/;

/** Opens `<dataDir>/tender.db` and `<dataDir>/files`, then listens on config.host:config.port. */
export async function createTender(config: TenderConfig, options: TenderOptions = {}): Promise<Tender> {
  const log = options.log ?? jsonLogger;
  const metrics = new Metrics();
  const records = new UploadRecords(config.dataDir);
  const filesDir = path.join(config.dataDir, 'files');
  const uploads = new Uploads({ filesDir, expiryMs: config.uploadExpiryMs, records, metrics, log });

  // push() sees every body byte the HTTP parser delivers, including bytes of aborted requests and of
  // requests tus never reads. A 'data' listener could not do this without stealing the body from tus.
  class CountingRequest extends http.IncomingMessage {
    override push(chunk: unknown, encoding?: BufferEncoding): boolean {
      if (chunk && (this.method === 'PATCH' || this.method === 'POST') && isUploadPath(pathOf(this.url))) {
        metrics.bytesReceived += (chunk as Buffer).length;
      }
      return super.push(chunk, encoding);
    }
  }

  async function route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const pathname = pathOf(req.url);
    if (isUploadPath(pathname)) return handleUpload(req, res, pathname);
    const api = pathname === '/healthz' || pathname === '/metrics' || pathname.startsWith('/api/');
    if (api && req.method !== 'GET' && req.method !== 'HEAD') {
      return sendText(res, 405, 'Method not allowed\n', { Allow: 'GET, HEAD' });
    }
    if (pathname === '/healthz') return sendJson(res, 200, { ok: true });
    if (pathname === '/metrics') {
      return send(res, 200, metrics.render(), { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
    }
    if (pathname === '/api/uploads') return sendJson(res, 200, records.list());
    if (api) return sendJson(res, 404, { error: 'not found' });
    return serveStatic(req, res, config.staticDir);
  }

  async function handleUpload(req: http.IncomingMessage, res: http.ServerResponse, pathname: string) {
    // tus's GET handler would hand stored files to anyone holding the URL; Tender offers no downloads.
    if (req.method === 'GET') return sendText(res, 404, 'Not found\n');
    const id = pathname.slice('/files/'.length);
    if (UPLOAD_ID.test(id)) {
      // A client whose final PATCH response was lost asks HEAD, sees offset == length and stops:
      // make sure the record exists before that answer goes out.
      if (req.method === 'HEAD') await uploads.reconcile(id);
      if (req.method === 'PATCH') res.once('close', () => void uploads.reconcile(id).catch(logError));
    }
    await uploads.tus.handle(req, res);
  }

  function logError(error: unknown) {
    log('error', 'upload bookkeeping failed', { error: String(error) });
  }

  const server = http.createServer({ IncomingMessage: CountingRequest }, (req, res) => {
    res.once('close', () => {
      metrics.countRequest(req.method, res.writableFinished ? String(res.statusCode) : 'aborted');
    });
    route(req, res).catch((error: unknown) => {
      log('error', 'request failed', { method: req.method, url: req.url, error: String(error) });
      if (res.headersSent) res.destroy();
      else sendText(res, 500, 'Internal error\n');
    });
  });
  // A 10 MB PATCH at 256 kbit/s takes longer than Node's default 300 s limit for a whole request.
  // Dead and stalled peers are caught by the idle timeout below instead.
  server.requestTimeout = 0;
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  // Stall detector: no byte read or written for idleTimeoutMs. Destroying the socket also aborts the
  // tus request, which releases its upload lock at once, so the client's resume is not held up.
  server.setTimeout(config.idleTimeoutMs, (socket) => socket.destroy());
  // New connections cost several satellite round trips; keep idle ones as long as a stall would be.
  server.keepAliveTimeout = config.idleTimeoutMs;

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    records.close();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;

  // Catch up on work a crash may have left (completed but unrecorded uploads), then expire hourly.
  let maintaining = Promise.resolve();
  const maintain = () => {
    maintaining = maintaining
      .then(() => uploads.maintain())
      .catch((error: unknown) => log('error', 'maintenance failed', { error: String(error) }));
  };
  maintain();
  const timer = setInterval(maintain, MAINTENANCE_INTERVAL_MS).unref();

  log('info', 'started', {
    url,
    dataDir: config.dataDir,
    staticDir: config.staticDir,
    idleTimeoutMs: config.idleTimeoutMs,
    uploadExpiryMs: config.uploadExpiryMs,
  });

  let closing: Promise<void> | undefined;
  async function shutdown(): Promise<void> {
    clearInterval(timer);
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    // Received bytes are already on disk and clients resume from the server's offset, so an hour-long
    // PATCH is cut after a short grace rather than awaited.
    const force = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
    await closed;
    clearTimeout(force);
    await uploads.stop();
    await maintaining;
    records.close();
    log('info', 'stopped');
  }

  return { server, url, close: () => (closing ??= shutdown()) };
}

function pathOf(url: string | undefined): string {
  return (url ?? '/').split('?', 1)[0] ?? '/';
}

function isUploadPath(pathname: string): boolean {
  return pathname === '/files' || pathname.startsWith('/files/');
}
