import type http from 'node:http';

/** The only tus version this server speaks. */
export const TUS_VERSION = '1.0.0';
/** The media type of every tus PATCH body. */
export const OFFSET_OCTET_STREAM = 'application/offset+octet-stream';

/** A request the protocol layer refuses before @tus/server sees it. */
export type Refusal = { status: number; error: string; headers?: http.OutgoingHttpHeaders };

const OVERRIDABLE = new Set(['PATCH', 'DELETE', 'HEAD']);

/**
 * tus 1.0 asks servers to honour `X-HTTP-Method-Override` for clients whose environment cannot send
 * PATCH or DELETE (Uppy's `overridePatchMethod`): the request is handled as the method it names.
 * Only a POST may be overridden, and only into a tus method.
 */
export function applyMethodOverride(req: http.IncomingMessage): Refusal | undefined {
  const header = req.headers['x-http-method-override'];
  if (header === undefined || req.method !== 'POST') return undefined;
  const method = String(header).trim().toUpperCase();
  if (!OVERRIDABLE.has(method)) {
    return { status: 400, error: 'X-HTTP-Method-Override must be PATCH, DELETE or HEAD' };
  }
  req.method = method;
  return undefined;
}

/** 412 with `Tus-Version` when the client speaks no version or one this server does not. */
export function checkVersion(req: http.IncomingMessage): Refusal | undefined {
  const version = req.headers['tus-resumable'];
  if (version === TUS_VERSION) return undefined;
  return {
    status: 412,
    error:
      version === undefined
        ? `Tus-Resumable is required; this server speaks tus ${TUS_VERSION}`
        : `tus ${String(version)} is not supported; this server speaks tus ${TUS_VERSION}`,
    headers: { 'Tus-Version': TUS_VERSION },
  };
}

/**
 * A malformed PATCH answers 415 or 400, never 401/403: clients (ours among them) read those as
 * "sign in again" and stop the whole queue over what is a bug in one request.
 */
export function checkPatchHeaders(req: http.IncomingMessage): Refusal | undefined {
  const type = req.headers['content-type'];
  if (type === undefined) return { status: 415, error: `PATCH needs Content-Type: ${OFFSET_OCTET_STREAM}` };
  if (type.split(';', 1)[0]?.trim().toLowerCase() !== OFFSET_OCTET_STREAM) {
    return {
      status: 415,
      error: `PATCH needs Content-Type: ${OFFSET_OCTET_STREAM}, not ${type.slice(0, 100)}`,
    };
  }
  const offset = req.headers['upload-offset'];
  if (offset === undefined) return { status: 400, error: 'PATCH needs Upload-Offset' };
  if (!/^\d{1,16}$/.test(String(offset)))
    return { status: 400, error: 'Upload-Offset must be a non-negative integer' };
  return undefined;
}
