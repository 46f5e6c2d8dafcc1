import type http from 'node:http';
import { readJson } from './body.ts';
import type { ConnectionGuard } from './connectionGuard.ts';
import type { Devices } from './devices.ts';
import { ENROLMENT_CODE, type EnrolmentCodes } from './enrolmentCodes.ts';
import type { Logger } from './log.ts';
import { sendJson, sendNotAllowed } from './respond.ts';

/** Collaborators of the enrolment exchange. */
export type EnrolApiOptions = {
  codes: EnrolmentCodes;
  devices: Devices;
  guard: ConnectionGuard;
  log: Logger;
};

// The body is a code of 22 characters in JSON; no reason to wait long or read much for it.
const MAX_BODY_BYTES = 1024;
const BODY_DEADLINE_MS = 5_000;
const SPENT =
  'This enrolment link has already been used or has expired. Ask the person who runs Tender on board to enrol this device again, then open the new link.';

/**
 * `POST /api/enroll {"code"}`: exchanges a one-time enrolment code for the device's token. Open (the
 * device has no credential yet), so a wrong code counts as a failed sign-in for the address. The code
 * is never logged.
 */
export async function handleEnrol(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  opts: EnrolApiOptions,
): Promise<void> {
  const address = req.socket.remoteAddress ?? '';
  const wait = opts.guard.authWait(address);
  res.setHeader('Connection', 'close');
  if (wait) {
    res.setHeader('Retry-After', String(wait));
    return sendJson(res, 429, { error: 'too many failed sign-in attempts from this address' });
  }
  if (req.method !== 'POST') return sendNotAllowed(res, 'POST');
  const deadline = setTimeout(() => req.socket.destroy(), BODY_DEADLINE_MS);
  let code: unknown;
  try {
    code = ((await readJson(req, MAX_BODY_BYTES)) as { code?: unknown } | null)?.code;
  } catch (error) {
    return sendJson(res, 400, { error: (error as Error).message });
  } finally {
    clearTimeout(deadline);
  }
  if (typeof code !== 'string' || !ENROLMENT_CODE.test(code)) {
    opts.guard.authFailed(address);
    return sendJson(res, 400, { error: 'code must be the 22-character code from the enrolment link' });
  }
  const result = await opts.codes.redeem(code);
  const device = result.ok ? await opts.devices.get(result.deviceId) : undefined;
  if (!result.ok || !device || device.revokedAt) {
    opts.guard.authFailed(address);
    const reason = result.ok ? 'revoked' : result.reason;
    opts.log('warn', 'enrolment code refused', { reason, ip: address });
    return sendJson(res, reason === 'unknown' ? 404 : 410, { error: SPENT });
  }
  opts.log('info', 'enrolment code redeemed', { deviceId: device.deviceId, ip: address });
  sendJson(res, 200, { deviceId: device.deviceId, name: device.name, token: result.token });
}
