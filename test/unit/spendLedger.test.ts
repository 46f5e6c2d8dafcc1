import { describe, expect, it } from 'vitest';
import {
  addSpend,
  costOf,
  dayTotal,
  emptyDay,
  KEEP_DAYS,
  SpendLedger,
} from '../../src/shared/spendLedger.ts';
import { addDays } from '../../src/shared/zonedDate.ts';

const at = (iso: string) => Date.parse(iso);
const MB = 1_000_000;

describe('days are counted in the configured zone', () => {
  it('Auckland: midnight NZDT is 11:00 UTC the day before', () => {
    const ledger = new SpendLedger('Pacific/Auckland');
    ledger.record(3 * MB, at('2026-11-24T10:59:59Z'), 'payload'); // 23:59:59 on the 24th
    ledger.record(5 * MB, at('2026-11-24T11:00:00Z'), 'payload'); // 00:00:00 on the 25th
    expect(ledger.spentToday(at('2026-11-24T10:00:00Z'))).toBe(3 * MB);
    expect(ledger.spentToday(at('2026-11-24T12:00:00Z'))).toBe(5 * MB);
    // In UTC both fall on the 24th: the zone, not UTC, decides.
    expect(ledger.spentOn('2026-11-24')).toBe(3 * MB);
  });

  it('New York: midnight EST is 05:00 UTC', () => {
    const ledger = new SpendLedger('America/New_York');
    ledger.record(1 * MB, at('2026-11-25T04:30:00Z'), 'payload'); // 23:30 on the 24th
    ledger.record(2 * MB, at('2026-11-25T05:30:00Z'), 'retry'); // 00:30 on the 25th
    expect(ledger.spentOn('2026-11-24')).toBe(1 * MB);
    expect(ledger.spentToday(at('2026-11-25T20:00:00Z'))).toBe(2 * MB);
  });

  it('across the DST change the day is 23 or 25 hours long', () => {
    const ny = new SpendLedger('America/New_York');
    ny.record(1, at('2026-03-08T05:00:00Z'), 'payload'); // 00:00 EST, first second of the 8th
    ny.record(10, at('2026-03-09T03:59:59Z'), 'payload'); // 23:59:59 EDT, still the 8th (23 h later)
    ny.record(100, at('2026-03-09T04:00:00Z'), 'payload'); // 00:00 EDT on the 9th
    expect(ny.spentOn('2026-03-08')).toBe(11);
    expect(ny.spentOn('2026-03-09')).toBe(100);

    const akl = new SpendLedger('Pacific/Auckland');
    akl.record(1, at('2026-04-04T11:00:00Z'), 'payload'); // 00:00 NZDT on the 5th
    akl.record(10, at('2026-04-05T11:59:59Z'), 'payload'); // 23:59:59 NZST, still the 5th (25 h later)
    akl.record(100, at('2026-04-05T12:00:00Z'), 'payload'); // 00:00 NZST on the 6th
    expect(akl.spentOn('2026-04-05')).toBe(11);
    expect(akl.spentToday(at('2026-04-05T12:30:00Z'))).toBe(100);
  });

  it('the month rolls over at local midnight on the 1st, and over the year end', () => {
    const ledger = new SpendLedger('Pacific/Auckland');
    ledger.record(7 * MB, at('2026-11-20T00:00:00Z'), 'payload');
    ledger.record(1 * MB, at('2026-11-30T10:59:00Z'), 'payload'); // 23:59 on 30 November
    ledger.record(2 * MB, at('2026-11-30T11:01:00Z'), 'payload'); // 00:01 on 1 December
    expect(ledger.spentThisMonth(at('2026-11-30T10:59:30Z'))).toBe(8 * MB);
    expect(ledger.spentThisMonth(at('2026-11-30T12:00:00Z'))).toBe(2 * MB);
    ledger.record(4 * MB, at('2026-12-31T11:30:00Z'), 'payload'); // 00:30 on 1 January
    expect(ledger.spentThisMonth(at('2026-12-31T12:00:00Z'))).toBe(4 * MB);
    expect(ledger.totals(at('2026-12-31T10:00:00Z'))).toEqual({ todayBytes: 0, monthBytes: 2 * MB });
  });
});

describe('what counts', () => {
  it('every kind counts towards the day', () => {
    const ledger = new SpendLedger('UTC');
    const now = at('2026-06-01T12:00:00Z');
    ledger.record(1000, now, 'payload');
    ledger.record(200, now, 'retry');
    ledger.record(30, now, 'probe');
    ledger.record(4, now, 'progress');
    ledger.record(5000, now, 'control');
    expect(ledger.spentToday(now)).toBe(6234);
    expect(ledger.toJSON()).toEqual([
      { day: '2026-06-01', payload: 1000, retry: 200, probe: 30, progress: 4, control: 5000 },
    ]);
  });
  it('negative or non-finite counts are not recorded', () => {
    let bucket = emptyDay('2026-06-01');
    bucket = addSpend(bucket, -10, 'payload');
    bucket = addSpend(bucket, Number.NaN, 'payload');
    bucket = addSpend(bucket, Number.POSITIVE_INFINITY, 'payload');
    bucket = addSpend(bucket, 2.6, 'retry');
    expect(dayTotal(bucket)).toBe(3);
  });
});

describe('old days', () => {
  it(`keeps ${KEEP_DAYS} days of buckets and drops older ones`, () => {
    const ledger = new SpendLedger('UTC');
    const first = at('2026-01-01T12:00:00Z');
    for (let d = 0; d < KEEP_DAYS; d++) ledger.record(1, first + d * 86_400_000, 'payload');
    expect(ledger.toJSON()).toHaveLength(KEEP_DAYS);
    expect(ledger.spentOn('2026-01-01')).toBe(1);
    ledger.record(1, first + KEEP_DAYS * 86_400_000, 'payload');
    const days = ledger.toJSON().map((d) => d.day);
    expect(days).toHaveLength(KEEP_DAYS);
    expect(days[0]).toBe('2026-01-02');
    expect(days.at(-1)).toBe(addDays('2026-01-01', KEEP_DAYS));
    expect(ledger.spentOn('2026-01-01')).toBe(0);
  });
  it('a ledger read back keeps only recent days and skips malformed ones', () => {
    const stored = [
      { day: '2025-10-01', payload: 9, retry: 0, probe: 0, progress: 0, control: 0 },
      { day: '2026-01-10', payload: 5, retry: 1, probe: 0, progress: 0, control: 0 },
      { day: 'yesterday', payload: 5 },
      null,
    ];
    const ledger = new SpendLedger('UTC', stored);
    expect(ledger.toJSON().map((d) => d.day)).toEqual(['2026-01-10']);
    const copy = new SpendLedger('UTC', JSON.parse(JSON.stringify(ledger)));
    expect(copy.totals(at('2026-01-10T08:00:00Z'))).toEqual({ todayBytes: 6, monthBytes: 6 });
  });
});

describe('money', () => {
  const rows: [string, number, number, string, number][] = [
    ['1 GB at $20', 1e9, 20, 'USD', 20],
    ['half a cent rounds up', 1.5e9, 12.345, 'USD', 18.52],
    ['binary noise does not round half a cent down', 1e9, 1.005, 'USD', 1.01],
    ['under half a cent rounds down', 1.2e8, 0.04, 'USD', 0],
    ['a few bytes cost nothing', 700, 50, 'USD', 0],
    ['yen have no minor unit', 1.5e9, 1000.5, 'JPY', 1501],
    ['dinars have three decimals', 1e9, 1.2345, 'KWD', 1.235],
    ['500 MB at €35', 5e8, 35, 'EUR', 17.5],
  ];
  it.each(rows)('%s', (_name, bytes, price, currency, amount) => {
    expect(costOf(bytes, price, currency)).toBe(amount);
  });
});
