import type http from 'node:http';
import type { ConnectionGuard } from './connectionGuard.ts';
import type { Device, Devices } from './devices.ts';
import type { Logger } from './log.ts';
import type { Metrics } from './metrics.ts';
import { bearerToken, sameSecret } from './tokens.ts';

/**
 * Why a request was refused, as told to the client: 401, or 429 once its address has failed too
 * often. Either way the connection is closed after the answer, so a refused body is never read.
 */
export type Refusal = { ok: false; status: 401 | 429; error: string; headers: Record<string, string> };

/** The device a request authenticated as, or why it was refused. */
export type DeviceCheck = { ok: true; device: Device } | Refusal;

/** Checks bearer tokens: the admin's, and devices' (read from the database on every request). */
export class Auth {
  private readonly devices: Devices;
  private readonly adminToken: string;
  private readonly metrics: Metrics;
  private readonly log: Logger;
  private readonly guard: ConnectionGuard;

  constructor(opts: {
    devices: Devices;
    adminToken: string;
    metrics: Metrics;
    log: Logger;
    guard: ConnectionGuard;
  }) {
    this.guard = opts.guard;
    this.devices = opts.devices;
    this.adminToken = opts.adminToken;
    this.metrics = opts.metrics;
    this.log = opts.log;
  }

  /** The calling device; failures are counted and logged (without the token). */
  async device(req: http.IncomingMessage): Promise<DeviceCheck> {
    const throttled = this.throttled(req);
    if (throttled) return throttled;
    const token = bearerToken(req.headers.authorization);
    if (!token)
      return this.fail(req, 'device', 'missing', 'a device token is required (Authorization: Bearer …)');
    const result = await this.devices.authenticate(token);
    if (result.ok) return result;
    return result.reason === 'revoked'
      ? this.fail(req, 'device', 'revoked', 'this device has been revoked; enrol it again')
      : this.fail(req, 'device', 'unknown', 'unknown device token');
  }

  /** True for the admin token; failures are counted and logged. */
  admin(req: http.IncomingMessage): { ok: true } | Refusal {
    const throttled = this.throttled(req);
    if (throttled) return throttled;
    const token = bearerToken(req.headers.authorization);
    if (!token)
      return this.fail(req, 'admin', 'missing', 'the admin token is required (Authorization: Bearer …)');
    if (!sameSecret(token, this.adminToken)) return this.fail(req, 'admin', 'wrong', 'wrong admin token');
    return { ok: true };
  }

  // An address that keeps failing is refused before its token is looked at, and not logged again.
  private throttled(req: http.IncomingMessage): Refusal | undefined {
    const wait = this.guard.authWait(req.socket.remoteAddress ?? '');
    if (!wait) return undefined;
    this.metrics.authThrottled++;
    return {
      ok: false,
      status: 429,
      error: 'too many failed sign-in attempts from this address',
      headers: { 'Retry-After': String(wait), Connection: 'close' },
    };
  }

  private fail(req: http.IncomingMessage, kind: string, reason: string, error: string): Refusal {
    this.metrics.authFailures++;
    this.guard.authFailed(req.socket.remoteAddress ?? '');
    this.log('warn', 'auth failed', {
      kind,
      reason,
      method: req.method,
      // The path only: a query string is the client's business and could carry anything.
      path: (req.url ?? '').split('?', 1)[0]?.slice(0, 200),
      ip: req.socket.remoteAddress,
    });
    return { ok: false, status: 401, error, headers: { 'WWW-Authenticate': 'Bearer', Connection: 'close' } };
  }
}
