import { describe, expect, it } from 'vitest';
import { type Admission, admit } from '../../src/shared/admission.ts';
import { defaultSettings, type LinkSettings } from '../../src/shared/linkSettings.ts';
import type { SpendTotals } from '../../src/shared/spendLedger.ts';
import { holdBack, reconsiderAdmission } from '../../src/shared/transitions.ts';
import { newQueueItem, type QueueItem } from '../../src/shared/types.ts';

const MB = 1_000_000;
// 16:00 on Tuesday 24 November 2026 in Auckland (UTC+13).
const now = Date.parse('2026-11-24T03:00:00Z');
const nextMidnight = Date.parse('2026-11-24T11:00:00Z');
const firstOfDecember = Date.parse('2026-11-30T11:00:00Z');

const settings = (patch: Partial<LinkSettings>): LinkSettings => ({
  ...defaultSettings('Pacific/Auckland'),
  meteredMaxBytes: 10 * MB,
  ...patch,
});
const spent = (todayBytes: number, monthBytes = todayBytes): SpendTotals => ({ todayBytes, monthBytes });
const file = (size: number, priority = 5) => ({ size, priority });
const budgets = { dailyBudgetBytes: 100 * MB, monthlyBudgetBytes: 1000 * MB };

type Row = [
  string,
  { size: number; priority: number },
  Partial<LinkSettings>,
  SpendTotals,
  { saveData: boolean },
  Partial<Admission>,
];

const rows: Row[] = [
  ['no budget, no limits: goes', file(500 * MB), {}, spent(5000 * MB), { saveData: false }, { ok: true }],
  [
    'under both budgets: goes',
    file(5 * MB),
    budgets,
    spent(99 * MB, 500 * MB),
    { saveData: false },
    { ok: true },
  ],
  [
    'daily budget reached: waits for local midnight',
    file(5 * MB),
    budgets,
    spent(100 * MB, 500 * MB),
    { saveData: false },
    { ok: false, reason: 'budget-day', retryAt: nextMidnight },
  ],
  [
    'daily budget passed: waits',
    file(1),
    budgets,
    spent(130 * MB, 500 * MB),
    { saveData: false },
    { ok: false, reason: 'budget-day' },
  ],
  [
    'monthly budget reached: waits for the 1st',
    file(5 * MB),
    budgets,
    spent(0, 1000 * MB),
    { saveData: false },
    { ok: false, reason: 'budget-month', retryAt: firstOfDecember },
  ],
  [
    'both reached: the month is the longer wait',
    file(5 * MB),
    budgets,
    spent(100 * MB, 1000 * MB),
    { saveData: false },
    { ok: false, reason: 'budget-month' },
  ],
  [
    'a zero daily budget stops normal files',
    file(1),
    { dailyBudgetBytes: 0, allowCriticalOverBudget: true },
    spent(0),
    { saveData: false },
    { ok: false, reason: 'budget-day' },
  ],
  [
    'critical (9) over the daily budget, allowed: goes',
    file(5 * MB, 9),
    { ...budgets, allowCriticalOverBudget: true },
    spent(100 * MB, 500 * MB),
    { saveData: false },
    { ok: true },
  ],
  [
    'critical (10) over the monthly budget, allowed: goes',
    file(5 * MB, 10),
    { ...budgets, allowCriticalOverBudget: true },
    spent(0, 2000 * MB),
    { saveData: false },
    { ok: true },
  ],
  [
    'critical (10) over budget, not allowed: waits',
    file(5 * MB, 10),
    { ...budgets, allowCriticalOverBudget: false },
    spent(100 * MB, 500 * MB),
    { saveData: false },
    { ok: false, reason: 'budget-day' },
  ],
  [
    'priority 8 is not critical, even when critical files are allowed',
    file(5 * MB, 8),
    { ...budgets, allowCriticalOverBudget: true },
    spent(100 * MB, 500 * MB),
    { saveData: false },
    { ok: false, reason: 'budget-day' },
  ],
  [
    'metered, large file: waits with no time set',
    file(50 * MB),
    { metered: true },
    spent(0),
    { saveData: false },
    { ok: false, reason: 'metered', retryAt: null },
  ],
  ['metered, small file: goes', file(3 * MB), { metered: true }, spent(0), { saveData: false }, { ok: true }],
  [
    'metered, exactly the limit: goes',
    file(10 * MB),
    { metered: true },
    spent(0),
    { saveData: false },
    { ok: true },
  ],
  [
    'Save-Data, large file: waits',
    file(50 * MB),
    {},
    spent(0),
    { saveData: true },
    { ok: false, reason: 'save-data', retryAt: null },
  ],
  ['Save-Data, small file: goes', file(3 * MB), {}, spent(0), { saveData: true }, { ok: true }],
  [
    'metered and Save-Data: the crew’s own setting is named',
    file(50 * MB),
    { metered: true },
    spent(0),
    { saveData: true },
    { ok: false, reason: 'metered' },
  ],
  [
    'critical over budget is allowed, but a large file still waits on a metered link',
    file(50 * MB, 10),
    { ...budgets, metered: true, allowCriticalOverBudget: true },
    spent(100 * MB, 500 * MB),
    { saveData: false },
    { ok: false, reason: 'metered' },
  ],
  ['not metered, large file: goes', file(50 * MB), {}, spent(0), { saveData: false }, { ok: true }],
];

describe('whether a file may start', () => {
  it.each(rows)('%s', (_name, item, patch, spend, hints, expected) => {
    expect(admit(item, settings(patch), spend, hints, now)).toMatchObject(expected);
  });
});

describe('what the crew are told', () => {
  const message = (a: Admission) => (a.ok ? '' : a.message);
  it('names the budget and when files continue', () => {
    const day = admit(file(1), settings(budgets), spent(100 * MB, 500 * MB), { saveData: false }, now);
    expect(message(day)).toBe(
      'Today’s data budget (100.0 MB) is used up. Files continue after midnight, or when the daily budget is raised.',
    );
    const month = admit(file(1), settings(budgets), spent(0, 1000 * MB), { saveData: false }, now);
    expect(message(month)).toMatch(/This month’s data budget \(1\.0 GB\) is used up.*1st of next month/);
  });
  it('names the file size, the limit, and what lets it go', () => {
    const metered = admit(file(52 * MB), settings({ metered: true }), spent(0), { saveData: false }, now);
    expect(message(metered)).toBe(
      'This file (52.0 MB) is larger than 10.0 MB, the limit on a metered link. It waits until the link is no longer marked metered.',
    );
    const saver = admit(file(52 * MB), settings({}), spent(0), { saveData: true }, now);
    expect(message(saver)).toMatch(/data saver is on\. It waits until data saver is off\./);
  });
  it('a daily wait ends at the zone’s midnight, whatever the device’s zone', () => {
    const ny = admit(
      file(1),
      settings({ ...budgets, timeZone: 'America/New_York' }),
      spent(100 * MB, 0),
      { saveData: false },
      now,
    );
    // 22:00 on 23 November in New York: the next midnight is 05:00 UTC on the 24th.
    expect(ny).toMatchObject({ retryAt: Date.parse('2026-11-24T05:00:00Z') });
  });
});

describe('what a refusal does to the queued file', () => {
  const item = (patch: Partial<QueueItem>): QueueItem => ({
    ...newQueueItem({ id: 'a', blob: new Blob(['x']), name: 'a.txt' }, 1),
    ...patch,
  });
  const refusal = { ok: false, reason: 'budget-day', message: 'm', retryAt: nextMidnight } as const;

  it('a waiting or uploading file waits with the reason until the time given', () => {
    expect(holdBack(refusal, now)(item({ status: 'waiting', waitingSince: 5 }))).toMatchObject({
      status: 'waiting',
      waitReason: 'budget-day',
      notBefore: nextMidnight,
      waitingSince: 5,
    });
    expect(holdBack(refusal, now)(item({ status: 'uploading', waitingSince: null }))).toMatchObject({
      status: 'waiting',
      waitingSince: now,
    });
  });
  it('a paused, failed or uploaded file is left alone', () => {
    for (const status of ['paused', 'failed', 'uploaded'] as const)
      expect(holdBack(refusal, now)(item({ status }))).toBeNull();
  });
  it('after a settings change only files held back by admission are asked again', () => {
    const reconsider = reconsiderAdmission(now);
    expect(reconsider(item({ waitReason: 'metered', notBefore: null }))).toMatchObject({
      waitReason: 'queued',
      notBefore: null,
    });
    expect(reconsider(item({ waitReason: 'budget-month', notBefore: firstOfDecember }))).toMatchObject({
      notBefore: null,
    });
    expect(reconsider(item({ waitReason: 'backoff', notBefore: nextMidnight }))).toBeNull();
    expect(reconsider(item({ status: 'paused', waitReason: null }))).toBeNull();
  });
});
