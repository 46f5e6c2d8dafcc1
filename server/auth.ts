import type http from 'node:http';
import type { Device, Devices } from './devices.ts';
import type { Logger } from './log.ts';
import type { Metrics } from './metrics.ts';
import { bearerToken, sameSecret } from './tokens.ts';

/** Why a request was refused, as told to the client. */
export type Refusal = { ok: false; error: string };

/** The device a request authenticated as, or why it was refused. */
export type DeviceCheck = { ok: true; device: Device } | Refusal;

/** Checks bearer tokens: the admin's, and devices' (read from the database on every request). */
export class Auth {
  private readonly devices: Devices;
  private readonly adminToken: string;
  private readonly metrics: Metrics;
  private readonly log: Logger;

  constructor(opts: { devices: Devices; adminToken: string; metrics: Metrics; log: Logger }) {
    this.devices = opts.devices;
    this.adminToken = opts.adminToken;
    this.metrics = opts.metrics;
    this.log = opts.log;
  }

  /** The calling device; failures are counted and logged (without the token). */
  device(req: http.IncomingMessage): DeviceCheck {
    const token = bearerToken(req.headers.authorization);
    if (!token)
      return this.fail(req, 'device', 'missing', 'a device token is required (Authorization: Bearer …)');
    const result = this.devices.authenticate(token);
    if (result.ok) return result;
    return result.reason === 'revoked'
      ? this.fail(req, 'device', 'revoked', 'this device has been revoked; enrol it again')
      : this.fail(req, 'device', 'unknown', 'unknown device token');
  }

  /** True for the admin token; failures are counted and logged. */
  admin(req: http.IncomingMessage): { ok: true } | Refusal {
    const token = bearerToken(req.headers.authorization);
    if (!token)
      return this.fail(req, 'admin', 'missing', 'the admin token is required (Authorization: Bearer …)');
    if (!sameSecret(token, this.adminToken)) return this.fail(req, 'admin', 'wrong', 'wrong admin token');
    return { ok: true };
  }

  private fail(req: http.IncomingMessage, kind: string, reason: string, error: string): Refusal {
    this.metrics.authFailures++;
    this.log('warn', 'auth failed', {
      kind,
      reason,
      method: req.method,
      // The path only: a query string is the client's business and could carry anything.
      path: (req.url ?? '').split('?', 1)[0]?.slice(0, 200),
      ip: req.socket.remoteAddress,
    });
    return { ok: false, error };
  }
}
