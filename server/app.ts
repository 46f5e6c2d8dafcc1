import type http from 'node:http';
import os from 'node:os';
import { handleAdmin } from './adminApi.ts';
import { Auth } from './auth.ts';
import { dependency, openBackends } from './backends.ts';
import { publicBaseUrl, type TenderConfig } from './config.ts';
import { ConnectionGuard } from './connectionGuard.ts';
import { applyCors, sendPreflight } from './cors.ts';
import { handleDevice } from './deviceApi.ts';
import { DeviceRequests } from './deviceRequests.ts';
import { DiskRoom } from './diskRoom.ts';
import { handleEnrol } from './enrolApi.ts';
import { enrolmentLink } from './enrolmentCodes.ts';
import { Faults } from './faults.ts';
import { TypeAllowlist } from './fileTypes.ts';
import { checkHealth } from './health.ts';
import { listen } from './listen.ts';
import { jsonLogger, type Logger } from './log.ts';
import { Metrics } from './metrics.ts';
import { Relay } from './relay.ts';
import { handleRelayApi } from './relayApi.ts';
import { sendJson, sendText } from './respond.ts';
import { isDevicePath, isUploadPath, pathOf, probe, unauthorized } from './routes.ts';
import { serveStatic } from './static.ts';
import { type AdminToken, loadAdminToken } from './tokens.ts';
import { TusGateway } from './tusGateway.ts';
import type { UploadListener } from './uploadFiling.ts';
import { Uploads } from './uploads.ts';

/** A listening Tender server. */
export type Tender = {
  server: http.Server;
  /** Base URL, e.g. http://127.0.0.1:8080 (the real port when config.port was 0). */
  url: string;
  /** The admin token and where it came from. */
  admin: AdminToken;
  /** Registers a listener called after each upload is recorded; returns an unsubscribe function. */
  onUploadRecorded(listener: UploadListener): () => void;
  /** Stops accepting, cuts remaining connections after a short grace, closes the database. Idempotent. */
  close(): Promise<void>;
};

/** Optional collaborators, mainly for tests. */
export type TenderOptions = { log?: Logger; onUploadRecorded?: UploadListener[] };

// A wrong token now and then is a typo; dozens a second from one address is someone guessing.
const AUTH_FAILURE_RATE = 1;
const AUTH_FAILURE_BURST = 20;
const SHUTDOWN_GRACE_MS = 5_000;

/**
 * Opens the backends config chose (see backends.ts: by default `<dataDir>/tender.db`, files in
 * `<dataDir>` and locks in memory) and listens on config.host:config.port. Unfinished uploads are
 * recovered one by one as they are next touched, so a second server on the same storage can start
 * while this one is writing.
 */
export async function createTender(config: TenderConfig, options: TenderOptions = {}): Promise<Tender> {
  const log = options.log ?? jsonLogger;
  const admin = loadAdminToken(config.dataDir, config.adminToken);
  const backends = await openBackends(config, log);
  const { devices, codes, records, partials, bytes } = backends;
  // Until listening, the port may still be 0; the label is settled before the first scrape.
  let instance = config.instanceId ?? '';
  const metrics = new Metrics(() => instance);
  const types = new TypeAllowlist(config.allowedTypes);
  const guard = new ConnectionGuard({
    maxConnections: config.maxConnections,
    maxConnectionsPerAddress: config.maxConnectionsPerAddress,
    authFailureRate: AUTH_FAILURE_RATE,
    authFailureBurst: AUTH_FAILURE_BURST,
  });
  const auth = new Auth({ devices, adminToken: admin.token, metrics, log, guard });
  const quota = {
    maxReservedBytes: config.deviceMaxReservedBytes,
    maxUnfinished: config.deviceMaxUnfinished,
  };
  const uploads = new Uploads({
    quota,
    bytes,
    expiryMs: config.uploadExpiryMs,
    maxUploadBytes: config.maxUploadBytes,
    corsOrigins: config.corsOrigins,
    records,
    partials,
    devices,
    locker: backends.locker,
    receiving: backends.receiving,
    metrics,
    log,
  });
  for (const listener of options.onUploadRecorded ?? []) uploads.filing.listeners.add(listener);
  // Relay mode keeps its outbox as hard links to local files; config refuses it with S3.
  const relay =
    config.forward && backends.files
      ? new Relay({
          forward: config.forward,
          dataDir: config.dataDir,
          bytes: backends.files,
          devices,
          records,
          log,
        })
      : null;
  if (relay) uploads.filing.listeners.add((record) => relay.recorded(record));
  const faults = config.testFaults ? new Faults() : undefined;
  const requests = new DeviceRequests();
  const limits = backends.limits;
  const disk = new DiskRoom({ bytes, minFreeBytes: config.minFreeBytes, partials });
  const gateway = new TusGateway({
    maxUploadBytes: config.maxUploadBytes,
    disk,
    quota,
    types,
    auth,
    requests,
    limits,
    faults,
    uploads,
    partials,
    metrics,
    log,
  });
  metrics.addGauge('tender_open_connections', 'Open client connections.', () => guard.open);
  metrics.addGauge(
    'tender_connections_refused',
    'Connections closed at once because their address or the server had too many open.',
    () => guard.refused,
  );
  metrics.addGauge(
    'tender_disk_free_bytes',
    'Free bytes for uploads, as last measured (at start, each maintenance pass and each new upload).',
    () => disk.free,
  );

  const probes = [...backends.probes, dependency('storage', () => disk.measure())];
  try {
    // Uploads of devices revoked while the server was down can never resume: they stop holding
    // quota and disk before the first request is taken (each dropped under its own lock).
    await uploads.sweeper.dropAbandoned();
    await disk.measure();
  } catch (error) {
    await backends.close();
    throw error;
  }
  let url = '';

  // Bookkeeping runs one job at a time: recovery catch-up, expiry, dropping abandoned uploads.
  let maintaining = Promise.resolve();
  const schedule = (job: () => Promise<unknown>) => {
    maintaining = maintaining
      .then(job)
      .then(() => {})
      .catch((error: unknown) => log('error', 'maintenance failed', { error: String(error) }));
    return maintaining;
  };
  // Cuts every open request of a revoked device; its unfinished uploads then stop holding space.
  const revoked = (deviceId: string) => {
    requests.cut(deviceId);
    void schedule(() => uploads.sweeper.dropAbandoned());
  };

  const deviceApi = { records, uploads, types, disk, limits, metrics, log };
  async function route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const pathname = pathOf(req.url);
    applyCors(req, res, config.corsOrigins);
    if (isUploadPath(pathname)) return gateway.handle(req, res, pathname);
    const api = pathname.startsWith('/api/') || pathname === '/metrics' || pathname === '/__test/faults';
    if (api && req.method === 'OPTIONS') return sendPreflight(res);
    if (pathname === '/healthz') {
      const health = await checkHealth(instance, probes, relay);
      return sendJson(res, health.ok ? 200 : 503, health);
    }
    if (pathname === '/probe') return probe(req, res);
    if (pathname === '/api/enroll') return handleEnrol(req, res, { codes, devices, guard, log });
    if (isDevicePath(pathname)) {
      const who = await auth.device(req);
      if (!who.ok) return unauthorized(res, who);
      requests.track(who.device.deviceId, req, res);
      if (pathname === '/api/ashore') {
        // On shore, a file the server holds is ashore: the app needs no second stage.
        if (relay) return relay.handleStages(req, res, who.device);
        return sendJson(res, 200, { relay: false });
      }
      const handled = await handleDevice(req, res, pathname, who.device, deviceApi);
      if (!handled) sendJson(res, 404, { error: 'not found' });
      return;
    }
    if (api) {
      const who = auth.admin(req);
      if (!who.ok) return unauthorized(res, who);
      const adminUrl = new URL(req.url ?? '/', 'http://localhost');
      if (await handleRelayApi(req, res, adminUrl, relay)) return;
      const handled = await handleAdmin(req, res, adminUrl, {
        bytes,
        devices,
        records,
        metrics,
        log,
        faults,
        enrollUrl: async (deviceId, token) =>
          enrolmentLink(
            publicBaseUrl(config, url),
            await codes.issue(deviceId, token, config.enrolmentCodeTtlMs),
          ),
        onRevoke: revoked,
        unfinished: (deviceId) => partials.ofDevice(deviceId),
        dropUnfinished: async (deviceId) => {
          requests.cut(deviceId);
          let count = 0;
          await schedule(async () => {
            count = await uploads.sweeper.dropDevice(deviceId);
          });
          return count;
        },
      });
      if (!handled) sendJson(res, 404, { error: 'not found' });
      return;
    }
    // The relay operator's page (public/relay.html): same origin as the admin API it calls.
    if (pathname === '/relay') req.url = '/relay.html';
    return serveStatic(req, res, config.staticDir);
  }

  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const started = Date.now();
    guard.watch(req, res);
    res.once('close', () => {
      const status = res.writableFinished ? String(res.statusCode) : 'aborted';
      metrics.countRequest(req.method, status);
      if (isUploadPath(pathOf(req.url))) {
        log('info', 'request', {
          method: req.method,
          path: pathOf(req.url),
          status,
          ms: Date.now() - started,
        });
      }
    });
    route(req, res).catch((error: unknown) => {
      log('error', 'request failed', { method: req.method, path: pathOf(req.url), error: String(error) });
      if (res.headersSent) res.destroy();
      else sendText(res, 500, 'Internal error\n');
    });
  };
  let server: http.Server;
  let port: number;
  try {
    ({ server, url, port } = await listen(config, metrics, guard, onRequest));
  } catch (error) {
    await backends.close();
    throw error;
  }
  instance ||= `${os.hostname()}:${port}`;

  // Catch up on work a crash may have left (completed but unrecorded uploads), then expire on a schedule.
  const maintain = () => void schedule(() => Promise.all([uploads.maintain(), disk.measure()]));
  maintain();
  const timer = setInterval(maintain, config.sweepIntervalMs).unref();
  // The CLI (or another instance) revokes devices and drops uploads in the database; apply it here.
  const cutRevoked = async () => {
    for (const deviceId of requests.devices()) {
      if ((await devices.get(deviceId))?.revokedAt) requests.cut(deviceId);
    }
  };
  const unwatch = backends.watch(() => {
    cutRevoked().catch((error: unknown) => log('error', 'revocation check failed', { error: String(error) }));
    void schedule(() => uploads.sweeper.dropAbandoned());
  });

  if (relay) {
    try {
      await relay.start();
    } catch (error) {
      // Nothing half-started is left behind (the relay's own stores included): the caller sees
      // the error with the port free again.
      await shutdown().catch(() => {});
      throw error;
    }
    log('info', 'relay forwarding', { to: config.forward?.to });
  }

  log('info', 'started', {
    url,
    dataDir: config.dataDir,
    staticDir: config.staticDir,
    idleTimeoutMs: config.idleTimeoutMs,
    uploadExpiryMs: config.uploadExpiryMs,
    maxUploadBytes: config.maxUploadBytes,
    corsOrigins: [...config.corsOrigins],
    testFaults: config.testFaults,
    instance,
    database: config.database ? 'postgresql' : 'sqlite',
    locks: config.redis ? 'redis' : 'memory',
    bytes: config.s3 ? 's3' : 'files',
  });

  let closing: Promise<void> | undefined;
  async function shutdown(): Promise<void> {
    clearInterval(timer);
    unwatch();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    // Received bytes are acknowledged as they are cut off and clients resume from the server's
    // offset, so an hour-long PATCH is cut after a short grace rather than awaited.
    const force = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
    await closed;
    clearTimeout(force);
    await uploads.stop();
    await relay?.stop();
    await maintaining;
    await backends.close();
    log('info', 'stopped');
  }

  return {
    server,
    url,
    admin,
    onUploadRecorded(listener) {
      uploads.filing.listeners.add(listener);
      return () => uploads.filing.listeners.delete(listener);
    },
    close: () => (closing ??= shutdown()),
  };
}
