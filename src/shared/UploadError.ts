/** Every way an upload attempt can end badly, as one code. */
export type UploadErrorCode =
  | 'offline'
  | 'stalled'
  | 'server-error'
  | 'locked'
  | 'rate-limited'
  | 'offset-mismatch'
  | 'upload-gone'
  | 'checksum-mismatch'
  | 'too-large'
  | 'unsupported-type'
  | 'auth'
  | 'unreadable'
  | 'aborted'
  | 'yielded'
  | 'unknown';

/** An upload failure with a code, the HTTP status when there was one, and its cause. */
export class UploadError extends Error {
  readonly code: UploadErrorCode;
  readonly status: number | null;
  /** Seconds from a Retry-After header, when the server sent one. */
  readonly retryAfterSec: number | null;

  constructor(
    code: UploadErrorCode,
    message: string,
    opts: { status?: number | null; retryAfterSec?: number | null; cause?: unknown } = {},
  ) {
    super(message, { cause: opts.cause });
    this.name = 'UploadError';
    this.code = code;
    this.status = opts.status ?? null;
    this.retryAfterSec = opts.retryAfterSec ?? null;
  }
}

/** Maps an HTTP status that ended a tus request to an error code. */
export function codeForStatus(status: number): UploadErrorCode {
  if (status === 401 || status === 403) return 'auth';
  if (status === 404 || status === 410) return 'upload-gone';
  if (status === 409) return 'offset-mismatch';
  if (status === 413) return 'too-large';
  if (status === 415) return 'unsupported-type';
  if (status === 423) return 'locked';
  if (status === 429) return 'rate-limited';
  if (status === 460) return 'checksum-mismatch';
  if (status >= 500) return 'server-error';
  return 'unknown';
}

/** Parses Retry-After (delta seconds or an HTTP date) into seconds from `now`. */
export function parseRetryAfter(value: string | null | undefined, now: number): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return null;
  return Math.max(0, Math.ceil((at - now) / 1000));
}
