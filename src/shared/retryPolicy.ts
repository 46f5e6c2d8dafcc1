import type { UploadError } from './UploadError.ts';

/** Tunables of the retry policy. */
export interface RetryPolicy {
  /** First backoff delay. Default 5 s: long enough for a satellite handover to pass. */
  baseDelayMs: number;
  /** Longest backoff delay. Default 10 min: a server outage is retried at least six times an hour. */
  maxDelayMs: number;
  /** Attempts (that count) before a file with an unexplained error is marked failed. Default 8. */
  maxAttempts: number;
}

/** Defaults for a 1–5 Mbit/s satellite link with drops every few minutes. */
export const defaultRetryPolicy: RetryPolicy = { baseDelayMs: 5_000, maxDelayMs: 600_000, maxAttempts: 8 };

/** Wait before asking again for an upload the server reports locked (423) without Retry-After. */
const LOCK_RETRY_SEC = 3;

/** What the queue does after a failed attempt. */
export type Decision =
  /** The link is gone: keep the file waiting, do not count an attempt, stop the run. */
  | { action: 'wait-for-link' }
  /** Try this file again after `delayMs`; `countsAttempt` says if it uses up one of maxAttempts. */
  | { action: 'retry'; delayMs: number; countsAttempt: boolean; resetUpload: boolean }
  /** Stop retrying this file; `reason` is shown to the user. */
  | { action: 'fail'; reason: string }
  /** Stop the whole queue: the device's credential no longer works. */
  | { action: 'pause-all'; reason: string };

/** Exponential backoff with jitter: the n-th attempt waits between 50% and 100% of base·2^(n−1), capped. */
export function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number): number {
  const exp = policy.baseDelayMs * 2 ** Math.max(0, attempt - 1);
  const capped = Math.min(policy.maxDelayMs, exp);
  return Math.round(capped * (0.5 + 0.5 * random()));
}

/**
 * Decides what follows a failed attempt.
 * @param error the classified failure
 * @param attempts counted attempts so far, including the one that just failed
 * @param restartedBefore whether this file was already restarted from zero once
 */
export function decide(
  error: UploadError,
  attempts: number,
  restartedBefore: boolean,
  policy: RetryPolicy = defaultRetryPolicy,
  random: () => number = Math.random,
): Decision {
  const backoff = (): Decision =>
    attempts >= policy.maxAttempts
      ? {
          action: 'fail',
          reason: `${error.message} (gave up after ${attempts} attempts; retry when the server is fixed)`,
        }
      : {
          action: 'retry',
          delayMs: backoffDelay(attempts, policy, random),
          countsAttempt: true,
          resetUpload: false,
        };
  switch (error.code) {
    case 'offline':
    case 'stalled':
      return { action: 'wait-for-link' };
    case 'server-error':
    case 'unknown':
      return backoff();
    case 'locked':
      // The server still holds the lock of a request the link killed; it lets go within seconds.
      return {
        action: 'retry',
        delayMs: (error.retryAfterSec ?? LOCK_RETRY_SEC) * 1000,
        countsAttempt: false,
        resetUpload: false,
      };
    case 'rate-limited':
      return error.retryAfterSec !== null
        ? { action: 'retry', delayMs: error.retryAfterSec * 1000, countsAttempt: false, resetUpload: false }
        : backoff();
    case 'offset-mismatch':
      // The next attempt starts with a HEAD and continues from the server's offset.
      return { action: 'retry', delayMs: 0, countsAttempt: false, resetUpload: false };
    case 'upload-gone':
      return restartedBefore
        ? {
            action: 'fail',
            reason: 'The server lost this upload twice; retry to send it again from the start.',
          }
        : { action: 'retry', delayMs: 0, countsAttempt: false, resetUpload: true };
    case 'checksum-mismatch':
      return attempts >= policy.maxAttempts
        ? { action: 'fail', reason: 'The data kept arriving damaged; retry later.' }
        : { action: 'retry', delayMs: 0, countsAttempt: true, resetUpload: false };
    case 'too-large':
      return {
        action: 'fail',
        reason: 'The server refused this file as too large (413). Split or compress it.',
      };
    case 'unsupported-type':
      return { action: 'fail', reason: 'The server does not accept this type of file (415).' };
    case 'auth':
      return { action: 'pause-all', reason: 'This device must be signed in again.' };
    case 'unreadable':
      return { action: 'fail', reason: 'The file can no longer be read from this device; add it again.' };
    case 'aborted':
    case 'yielded':
      return { action: 'retry', delayMs: 0, countsAttempt: false, resetUpload: false };
  }
}
