import { describe, expect, it } from 'vitest';
import { formatEta } from '../../src/app/format.ts';
import { canThumbnail, fileBadge } from '../../src/app/QueueList/fileBadge.ts';
import { etaText, statusDetail, statusLabel } from '../../src/app/QueueList/statusText.ts';
import type { QueueItem, UploadStatus, WaitReason } from '../../src/shared/types.ts';
import { makeItem } from './fakes.ts';

const item = (status: UploadStatus, patch: Partial<QueueItem> = {}) => makeItem('x', status, 10, patch);

describe('times left in words', () => {
  const table: [number, string][] = [
    [0, 'under a minute'],
    [59.9, 'under a minute'],
    [60, 'about 1 min'],
    [61, 'about 2 min'],
    [3540, 'about 59 min'],
    [3599, 'about 1 h'],
    [3600, 'about 1 h'],
    [3661, 'about 1 h 2 min'],
    [47 * 3600, 'about 47 h'],
    [48 * 3600, 'about 2 days'],
    [10 * 86400, 'about 10 days'],
    [Number.NaN, 'unknown'],
    [Number.POSITIVE_INFINITY, 'unknown'],
    [-5, 'unknown'],
  ];
  it.each(table)('%d s → %s', (seconds, words) => {
    expect(formatEta(seconds)).toBe(words);
  });
});

describe('the time left on a row', () => {
  const table: [UploadStatus, number | undefined, string][] = [
    ['uploading', 90, 'about 2 min left'],
    ['uploading', undefined, 'time left unknown'],
    ['waiting', 4000, 'done in about 1 h 7 min'],
    ['waiting', undefined, ''],
    ['paused', 30, ''],
    ['failed', 30, ''],
    ['uploaded', 0, ''],
  ];
  it.each(table)('%s with %s s → "%s"', (status, seconds, words) => {
    expect(etaText({ status }, seconds)).toBe(words);
  });
});

describe('why a file is where it is', () => {
  const table: [string, QueueItem, boolean, boolean, RegExp | string][] = [
    ['in line while the uploader runs', item('waiting'), true, true, 'in line behind the files above'],
    ['in line before it starts', item('waiting'), true, false, 'in line; the uploader starts in a moment'],
    ['offline', item('waiting', { waitReason: 'offline' }), true, true, /^no connection to shore/],
    [
      'browser offline whatever the reason stored',
      item('waiting', { waitReason: 'backoff' }),
      false,
      true,
      /^no connection to shore/,
    ],
    [
      'backing off',
      item('waiting', { waitReason: 'backoff', notBefore: Date.UTC(2026, 0, 1, 12) }),
      true,
      true,
      /^server trouble; retrying at \d/,
    ],
    [
      'backing off, no time',
      item('waiting', { waitReason: 'backoff' }),
      true,
      true,
      'server trouble; retrying soon',
    ],
    [
      'signed out, even offline',
      item('waiting', { waitReason: 'signed-out' }),
      false,
      true,
      'waits until this device is signed in (see above)',
    ],
    [
      'budget of the day',
      item('waiting', { waitReason: 'budget-day' }),
      true,
      true,
      /^today’s data budget is used up/,
    ],
    [
      'budget of the month',
      item('waiting', { waitReason: 'budget-month' }),
      true,
      true,
      /^this month’s data budget/,
    ],
    ['metered', item('waiting', { waitReason: 'metered' }), true, true, /metered link/],
    ['data saver', item('waiting', { waitReason: 'save-data' }), true, true, /data saver/],
    [
      'being checked, with how far',
      item('waiting', { waitReason: 'checking' }),
      true,
      true,
      /^checking the file on this device before sending$/,
    ],
    ['uploading', item('uploading'), true, true, 'being sent now'],
    [
      'paused as a copy of a queued file',
      item('paused', { waitReason: 'duplicate' }),
      true,
      true,
      /^same content as a file already in the queue/,
    ],
    ['paused', item('paused'), true, true, /^stopped by you/],
    [
      'failed with a reason',
      item('failed', { lastError: 'The file is too large (413).' }),
      true,
      true,
      'The file is too large (413).',
    ],
    ['failed without one', item('failed'), true, true, /Retry sends it again/],
    ['uploaded and released', item('uploaded', { releasedAt: 5 }), true, true, /^Removed from this device/],
    [
      'uploaded, copy kept',
      item('uploaded', { keepLocalCopy: true }),
      true,
      true,
      'A copy is kept on this device',
    ],
    ['uploaded, bytes not yet released', item('uploaded'), true, true, 'Still on this device'],
    [
      'on board a relay, simply queued there',
      item('uploaded', { viaRelay: true, releasedAt: 5 }),
      true,
      true,
      'waiting to go ashore',
    ],
    [
      'on board a relay that says why',
      item('uploaded', { viaRelay: true, relayNote: 'Cannot reach the server' }),
      false,
      false,
      'waiting to go ashore: Cannot reach the server',
    ],
    [
      'ashore from a relay',
      item('uploaded', { viaRelay: true, ashoreAt: 5, releasedAt: 5 }),
      true,
      true,
      /^Removed from this device/,
    ],
  ];
  it.each(table)('%s', (_, it_, online, running, expected) => {
    const text = statusDetail(it_, online, running);
    if (typeof expected === 'string') expect(text).toBe(expected);
    else expect(text).toMatch(expected);
  });

  it('says how far the check on this device has got', () => {
    expect(statusDetail(item('waiting', { waitReason: 'checking' }), true, true, 0.426)).toBe(
      'checking the file on this device before sending (42%)',
    );
  });

  it('every reason a file can wait for has its own words', () => {
    const reasons: WaitReason[] = [
      'checking',
      'queued',
      'offline',
      'backoff',
      'signed-out',
      'runner-stopped',
      'budget-day',
      'budget-month',
      'metered',
      'save-data',
    ];
    const words = reasons.map((waitReason) => statusDetail(item('waiting', { waitReason }), true, true));
    expect(new Set(words).size).toBe(reasons.length);
    for (const w of words) expect(w.length).toBeGreaterThan(10);
  });
});

describe('thumbnail or badge', () => {
  const table: [string, string, number | null, boolean, string][] = [
    ['pump.jpg', 'image/jpeg', null, true, 'JPG'],
    ['deck.PNG', 'image/png', null, true, 'PNG'],
    ['sent.jpg', 'image/jpeg', 1234, false, 'JPG'],
    ['plan.svg', 'image/svg+xml', null, false, 'SVG'],
    ['IMG_0001.HEIC', 'image/heic', null, false, 'HEIC'],
    ['manual.pdf', 'application/pdf', null, false, 'PDF'],
    ['engine', 'video/mp4', null, false, 'VID'],
    ['photo', 'image/webp', null, true, 'IMG'],
    ['notes', 'text/plain', null, false, 'TXT'],
    ['blob', 'application/octet-stream', null, false, 'FILE'],
    ['archive.backup', 'application/octet-stream', null, false, 'FILE'],
  ];
  it.each(table)('%s (%s)', (name, type, releasedAt, thumb, badge) => {
    expect(canThumbnail({ type, releasedAt })).toBe(thumb);
    expect(fileBadge({ name, type })).toBe(badge);
  });
});

describe('the stage an uploaded file has reached', () => {
  it.each([
    ['a server ashore, not yet asked', item('uploaded'), 'Uploaded'],
    ['a server ashore, asked', item('uploaded', { viaRelay: false, ashoreAt: 5 }), 'Uploaded'],
    ['on board a relay', item('uploaded', { viaRelay: true, ashoreAt: null }), 'On board'],
    ['sent ashore by a relay', item('uploaded', { viaRelay: true, ashoreAt: 5 }), 'Ashore'],
    ['still uploading to a relay', item('uploading', { viaRelay: true }), 'Uploading'],
  ] as [string, QueueItem, string][])('%s: %s', (_, it_, label) => {
    expect(statusLabel(it_)).toBe(label);
  });
});
