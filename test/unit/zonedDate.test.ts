import { describe, expect, it } from 'vitest';
import {
  addDays,
  canonicalTimeZone,
  isKnownTimeZone,
  localDay,
  nextDayStart,
  nextMonthStart,
  startOfDay,
} from '../../src/shared/zonedDate.ts';

const at = (iso: string) => Date.parse(iso);

describe('the local day of an instant', () => {
  const rows: [string, string, string][] = [
    // Auckland is UTC+13 in November (daylight time): its day starts at 11:00 UTC the day before.
    ['2026-11-24T10:59:59Z', 'Pacific/Auckland', '2026-11-24'],
    ['2026-11-24T11:00:00Z', 'Pacific/Auckland', '2026-11-25'],
    // New York is UTC−5 in November.
    ['2026-11-25T04:59:59Z', 'America/New_York', '2026-11-24'],
    ['2026-11-25T05:00:00Z', 'America/New_York', '2026-11-25'],
    ['2026-11-25T05:00:00Z', 'UTC', '2026-11-25'],
    ['2026-11-24T23:59:59Z', 'UTC', '2026-11-24'],
  ];
  it.each(rows)('%s in %s is %s', (iso, zone, day) => {
    expect(localDay(at(iso), zone)).toBe(day);
  });
});

describe('where a local day starts', () => {
  const rows: [string, string, string, string][] = [
    ['a plain New York day', '2026-11-24', 'America/New_York', '2026-11-24T05:00:00.000Z'],
    [
      'New York, the day clocks go forward (23 h)',
      '2026-03-08',
      'America/New_York',
      '2026-03-08T05:00:00.000Z',
    ],
    ['New York, the day after it', '2026-03-09', 'America/New_York', '2026-03-09T04:00:00.000Z'],
    ['New York, the day clocks go back (25 h)', '2026-11-01', 'America/New_York', '2026-11-01T04:00:00.000Z'],
    ['New York, the day after it', '2026-11-02', 'America/New_York', '2026-11-02T05:00:00.000Z'],
    ['Auckland, the day clocks go back (25 h)', '2026-04-05', 'Pacific/Auckland', '2026-04-04T11:00:00.000Z'],
    ['Auckland, the day after it', '2026-04-06', 'Pacific/Auckland', '2026-04-05T12:00:00.000Z'],
    ['Auckland, the day clocks go forward', '2026-09-27', 'Pacific/Auckland', '2026-09-26T12:00:00.000Z'],
    // Cuba moves its clocks from 00:00 to 01:00: that day has no midnight, it starts at the jump.
    ['Havana, a day without midnight', '2026-03-08', 'America/Havana', '2026-03-08T05:00:00.000Z'],
    ['Santiago, a day without midnight', '2026-09-06', 'America/Santiago', '2026-09-06T04:00:00.000Z'],
  ];
  it.each(rows)('%s', (_name, day, zone, iso) => {
    const start = startOfDay(day, zone);
    expect(new Date(start).toISOString()).toBe(iso);
    expect(localDay(start, zone)).toBe(day);
    expect(localDay(start - 1000, zone)).toBe(addDays(day, -1));
  });
});

describe('when today and this month end', () => {
  it('the next midnight follows the zone across a DST change', () => {
    // Noon on the 23-hour day in New York: the next day starts at 04:00 UTC, not 05:00.
    expect(new Date(nextDayStart(at('2026-03-08T17:00:00Z'), 'America/New_York')).toISOString()).toBe(
      '2026-03-09T04:00:00.000Z',
    );
    // One second before midnight is still today; midnight itself belongs to tomorrow.
    const midnight = at('2026-11-24T11:00:00Z');
    expect(nextDayStart(midnight - 1000, 'Pacific/Auckland')).toBe(midnight);
    expect(nextDayStart(midnight, 'Pacific/Auckland')).toBe(at('2026-11-25T11:00:00Z'));
  });
  it('the next month starts on the 1st at local midnight, over a year end', () => {
    // 1 January 2027, 01:00 in Auckland: next month starts 1 February 00:00 NZDT.
    expect(new Date(nextMonthStart(at('2026-12-31T12:00:00Z'), 'Pacific/Auckland')).toISOString()).toBe(
      '2027-01-31T11:00:00.000Z',
    );
    // 31 December 2026, 07:00 in New York: 1 January 00:00 EST.
    expect(new Date(nextMonthStart(at('2026-12-31T12:00:00Z'), 'America/New_York')).toISOString()).toBe(
      '2027-01-01T05:00:00.000Z',
    );
  });
});

describe('zone names', () => {
  it('knows IANA names in any case and refuses others', () => {
    expect(isKnownTimeZone('Pacific/Auckland')).toBe(true);
    expect(canonicalTimeZone('pacific/auckland')).toBe('Pacific/Auckland');
    expect(isKnownTimeZone('Mars/Olympus_Mons')).toBe(false);
    expect(isKnownTimeZone('')).toBe(false);
  });
  it('moves days across month and leap-year ends', () => {
    expect(addDays('2028-02-28', 1)).toBe('2028-02-29');
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
  });
});
