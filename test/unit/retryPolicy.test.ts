import { describe, expect, it } from 'vitest';
import { backoffDelay, decide, defaultRetryPolicy } from '../../src/shared/retryPolicy.ts';
import {
  codeForStatus,
  parseRetryAfter,
  UploadError,
  type UploadErrorCode,
} from '../../src/shared/UploadError.ts';

const policy = { baseDelayMs: 1000, maxDelayMs: 60_000, maxAttempts: 5 };
const half = () => 0.5;

describe('how each HTTP status is classified', () => {
  const table: [number, UploadErrorCode][] = [
    [401, 'auth'],
    [403, 'auth'],
    [404, 'upload-gone'],
    [410, 'upload-gone'],
    [409, 'offset-mismatch'],
    [413, 'too-large'],
    [415, 'unsupported-type'],
    [423, 'locked'],
    [429, 'rate-limited'],
    [460, 'checksum-mismatch'],
    [500, 'server-error'],
    [502, 'server-error'],
    [503, 'server-error'],
    [507, 'server-error'],
    [400, 'unknown'],
    [418, 'unknown'],
  ];
  it.each(table)('%i → %s', (status, code) => {
    expect(codeForStatus(status)).toBe(code);
  });
});

describe('what the queue does after each failure', () => {
  const err = (code: UploadErrorCode, extra: { retryAfterSec?: number } = {}) =>
    new UploadError(code, `failed: ${code}`, extra);

  const rows: [string, UploadError, number, boolean, string, Record<string, unknown>][] = [
    ['network error waits for the link, no attempt used', err('offline'), 1, false, 'wait-for-link', {}],
    ['stall waits for the link, no attempt used', err('stalled'), 7, false, 'wait-for-link', {}],
    [
      '5xx backs off and counts',
      err('server-error'),
      1,
      false,
      'retry',
      { countsAttempt: true, delayMs: 750 },
    ],
    [
      '423 (a lock the link left behind) retries in 3 s, not counted',
      err('locked'),
      7,
      false,
      'retry',
      { countsAttempt: false, delayMs: 3000 },
    ],
    [
      '423 honours Retry-After',
      err('locked', { retryAfterSec: 1 }),
      2,
      false,
      'retry',
      { countsAttempt: false, delayMs: 1000 },
    ],
    [
      '429 honours Retry-After',
      err('rate-limited', { retryAfterSec: 2 }),
      1,
      false,
      'retry',
      { delayMs: 2000, countsAttempt: false },
    ],
    ['429 without Retry-After backs off', err('rate-limited'), 1, false, 'retry', { countsAttempt: true }],
    [
      '409 resumes from the server offset at once',
      err('offset-mismatch'),
      1,
      false,
      'retry',
      { delayMs: 0, countsAttempt: false, resetUpload: false },
    ],
    [
      '404 on resume starts again from zero once',
      err('upload-gone'),
      1,
      false,
      'retry',
      { resetUpload: true, delayMs: 0 },
    ],
    ['404 a second time fails', err('upload-gone'), 1, true, 'fail', {}],
    [
      '460 resends the chunk',
      err('checksum-mismatch'),
      1,
      false,
      'retry',
      { delayMs: 0, countsAttempt: true },
    ],
    ['413 fails without retry', err('too-large'), 1, false, 'fail', {}],
    ['415 fails without retry', err('unsupported-type'), 1, false, 'fail', {}],
    ['401 pauses the whole queue', err('auth'), 1, false, 'pause-all', {}],
    ['unknown backs off', err('unknown'), 4, false, 'retry', { countsAttempt: true }],
    ['unknown fails after maxAttempts', err('unknown'), 5, false, 'fail', {}],
    ['5xx fails after maxAttempts', err('server-error'), 5, false, 'fail', {}],
    ['unreadable blob fails', err('unreadable'), 1, false, 'fail', {}],
  ];
  it.each(rows)('%s', (_name, error, attempts, restarted, action, fields) => {
    const decision = decide(error, attempts, restarted, policy, half);
    expect(decision.action).toBe(action);
    expect(decision).toMatchObject(fields);
  });

  it('gives reasons a user can act on', () => {
    const d = decide(err('too-large'), 1, false, policy, half);
    expect(d.action === 'fail' && d.reason).toMatch(/too large.*413/);
    const auth = decide(err('auth'), 1, false, policy, half);
    expect(auth.action === 'pause-all' && auth.reason).toBe('This device must be signed in again.');
  });
});

describe('backoff', () => {
  it('doubles from the base with jitter between 50% and 100%, capped', () => {
    expect(backoffDelay(1, policy, () => 0)).toBe(500);
    expect(backoffDelay(1, policy, () => 1)).toBe(1000);
    expect(backoffDelay(3, policy, () => 1)).toBe(4000);
    expect(backoffDelay(30, policy, () => 1)).toBe(60_000);
  });
  it('defaults suit a satellite link', () => {
    expect(defaultRetryPolicy.baseDelayMs).toBeGreaterThanOrEqual(1000);
    expect(defaultRetryPolicy.maxDelayMs).toBeLessThanOrEqual(3_600_000);
  });
});

describe('Retry-After', () => {
  it('parses seconds and HTTP dates', () => {
    const now = Date.parse('2026-11-24T10:00:00Z');
    expect(parseRetryAfter('2', now)).toBe(2);
    expect(parseRetryAfter('Tue, 24 Nov 2026 10:00:30 GMT', now)).toBe(30);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(null, now)).toBeNull();
  });
});
