import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TenderConfig } from './config.ts';
import type { ConnectionGuard } from './connectionGuard.ts';
import { countingRequest } from './countingRequest.ts';
import type { Metrics } from './metrics.ts';
import { isUploadPath, pathOf } from './routes.ts';

type ListenConfig = Pick<
  TenderConfig,
  'host' | 'port' | 'tlsCert' | 'tlsKey' | 'headersTimeoutMs' | 'idleTimeoutMs'
>;

/**
 * Creates the HTTP (or, with a certificate, HTTPS) server with Tender's timeouts and connection
 * guard, and listens on config.host:config.port. Resolves to it, its base URL and its real port.
 */
export async function listen(
  config: ListenConfig,
  metrics: Metrics,
  guard: ConnectionGuard,
  onRequest: http.RequestListener,
): Promise<{ server: http.Server; url: string; port: number }> {
  const tls =
    config.tlsCert && config.tlsKey
      ? { cert: fs.readFileSync(config.tlsCert), key: fs.readFileSync(config.tlsKey) }
      : undefined;
  // Node checks header deadlines on this interval; its 30 s default would stretch a short deadline.
  const serverOptions = {
    IncomingMessage: countingRequest(metrics, (url) => isUploadPath(pathOf(url))),
    connectionsCheckingInterval: 1_000,
  };
  const server: http.Server = tls
    ? https.createServer({ ...serverOptions, ...tls }, onRequest)
    : http.createServer(serverOptions, onRequest);
  guard.attach(server);
  // A 10 MB PATCH at 256 kbit/s takes longer than Node's default 300 s limit for a whole request.
  // Dead and stalled peers are caught by the idle timeout below instead.
  server.requestTimeout = 0;
  // Every request's headers must be in by then; the token is in the headers, so this is also the
  // deadline for a connection that has not authenticated (its body is never read: see guard.watch).
  server.headersTimeout = config.headersTimeoutMs;
  // Stall detector: no byte read or written for idleTimeoutMs. Destroying the socket also aborts the
  // tus request, which releases its upload lock at once, so the client's resume is not held up.
  server.setTimeout(config.idleTimeoutMs, (socket) => socket.destroy());
  // New connections cost several satellite round trips; keep idle ones as long as a stall would be.
  server.keepAliveTimeout = config.idleTimeoutMs;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  return { server, url: `${tls ? 'https' : 'http'}://${host}:${port}`, port };
}
