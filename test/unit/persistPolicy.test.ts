import { describe, expect, it } from 'vitest';
import {
  defaultPersistPolicy,
  type PersistAdvice,
  type PersistInput,
  persistAdvice,
  unsentBytes,
} from '../../src/shared/persistPolicy.ts';

const MB = 1e6;
const DAY = 86_400_000;
const NOW = 1_800_000_000_000;

type Item = PersistInput['items'][number];
const waiting = (size: number, waitReason: Item['waitReason'] = 'queued'): Item => ({
  status: 'waiting',
  size,
  bytesConfirmed: 0,
  waitReason,
});
const uploaded = (size: number): Item => ({
  status: 'uploaded',
  size,
  bytesConfirmed: size,
  waitReason: null,
});
const uploading = (size: number, confirmed: number): Item => ({
  status: 'uploading',
  size,
  bytesConfirmed: confirmed,
  waitReason: null,
});

describe('when the app asks the browser to keep its storage', () => {
  const base: PersistInput = { persisted: false, items: [], online: true, refusedAt: null, now: NOW };
  const rows: [string, Partial<PersistInput>, PersistAdvice][] = [
    [
      'a browser that cannot promise is never asked',
      { persisted: null, items: [waiting(500 * MB)] },
      'unsupported',
    ],
    ['already promised: nothing to ask', { persisted: true, items: [waiting(500 * MB)] }, 'kept'],
    ['an empty queue: nothing to lose yet', { items: [] }, 'not-yet'],
    ['a few photos on a good link: not yet', { items: [waiting(4 * MB), waiting(5 * MB)] }, 'not-yet'],
    ['files already ashore are not at risk', { items: [uploaded(900 * MB)] }, 'not-yet'],
    ['50 MB still to send: ask', { items: [waiting(30 * MB), waiting(20 * MB)] }, 'offer'],
    ['just under 50 MB: not yet', { items: [waiting(30 * MB), waiting(20 * MB - 1)] }, 'not-yet'],
    [
      'only what the server does not hold counts',
      { items: [uploading(120 * MB, 80 * MB), waiting(5 * MB)] },
      'not-yet',
    ],
    ['a small file waiting for a link that is down: ask', { items: [waiting(2 * MB, 'offline')] }, 'offer'],
    [
      'a small file waiting while the device is offline: ask',
      { online: false, items: [waiting(2 * MB)] },
      'offer',
    ],
    ['offline with only uploaded files: not yet', { online: false, items: [uploaded(2 * MB)] }, 'not-yet'],
    [
      'refused two days ago: the uploads screen stays quiet',
      { items: [waiting(80 * MB)], refusedAt: NOW - 2 * DAY },
      'refused',
    ],
    ['refused a week ago: ask again', { items: [waiting(80 * MB)], refusedAt: NOW - 7 * DAY }, 'offer'],
    [
      'refused lately, but nothing at risk: not yet',
      { items: [waiting(1 * MB)], refusedAt: NOW - DAY },
      'not-yet',
    ],
  ];
  it.each(rows)('%s', (_name, input, advice) => {
    expect(persistAdvice({ ...base, ...input })).toBe(advice);
  });

  it('takes its threshold from the policy', () => {
    const input = { ...base, items: [waiting(10 * MB)] };
    expect(persistAdvice(input, { ...defaultPersistPolicy, queuedBytes: 10 * MB })).toBe('offer');
    expect(persistAdvice(input, { ...defaultPersistPolicy, queuedBytes: 10 * MB + 1 })).toBe('not-yet');
  });

  it('counts the bytes the server does not hold yet', () => {
    expect(unsentBytes([uploading(100, 40), waiting(10), uploaded(1_000)])).toBe(70);
  });
});
