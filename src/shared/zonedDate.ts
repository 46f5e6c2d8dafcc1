/**
 * Calendar days and months in an IANA time zone, with `Intl.DateTimeFormat` alone. A day is named
 * 'YYYY-MM-DD' as a wall calendar in that zone shows it; its start is found from the zone's own
 * offsets, so days of 23 or 25 hours (DST changes) and days that do not begin at 00:00 (zones that
 * change clocks at midnight) come out right.
 */

const formats = new Map<string, Intl.DateTimeFormat>();

/** One formatter per zone: building one costs far more than using it. */
function formatFor(timeZone: string): Intl.DateTimeFormat {
  let format = formats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      // h23, not hour12: false: Chromium formats midnight as "24" with the latter.
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formats.set(timeZone, format);
  }
  return format;
}

/** The wall clock in `timeZone` at `at`, as the UTC instant with the same reading (ms, whole seconds). */
function wallAsUtc(at: number, timeZone: string): number {
  const f: Record<string, number> = {};
  for (const part of formatFor(timeZone).formatToParts(at)) f[part.type] = Number(part.value);
  return Date.UTC(f.year ?? 0, (f.month ?? 1) - 1, f.day ?? 1, f.hour ?? 0, f.minute ?? 0, f.second ?? 0);
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** 'YYYY-MM-DD' of a UTC instant's UTC date. */
const utcDay = (ms: number) => {
  const d = new Date(ms);
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
};

/** The calendar day at `at` in `timeZone`, as 'YYYY-MM-DD'. */
export function localDay(at: number, timeZone: string): string {
  return utcDay(wallAsUtc(at, timeZone));
}

/** The calendar month at `at` in `timeZone`, as 'YYYY-MM'. */
export function localMonth(at: number, timeZone: string): string {
  return localDay(at, timeZone).slice(0, 7);
}

/** `day` moved by `n` calendar days ('YYYY-MM-DD'; `n` may be negative). */
export function addDays(day: string, n: number): string {
  return utcDay(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000);
}

/**
 * The first instant of calendar day `day` in `timeZone`. Midnight is tried with the zone's offset
 * a day before, at and a day after; the earliest result that falls on `day` is its start. Where
 * clocks jump forward at midnight (Havana, Santiago) that is the jump's instant, where they fall
 * back to midnight it is the first of the two.
 */
export function startOfDay(day: string, timeZone: string): number {
  const wall = Date.parse(`${day}T00:00:00Z`);
  let start = Number.POSITIVE_INFINITY;
  for (const probe of [wall - 86_400_000, wall, wall + 86_400_000]) {
    const offset = wallAsUtc(probe, timeZone) - Math.floor(probe / 1000) * 1000;
    const candidate = wall - offset;
    if (candidate < start && localDay(candidate, timeZone) === day) start = candidate;
  }
  return Number.isFinite(start) ? start : wall;
}

/** The next local midnight after `at`: when "today" ends in `timeZone`. */
export function nextDayStart(at: number, timeZone: string): number {
  return startOfDay(addDays(localDay(at, timeZone), 1), timeZone);
}

/** The start of the first day of the next local month after `at` in `timeZone`. */
export function nextMonthStart(at: number, timeZone: string): number {
  const [year = 1970, month = 1] = localMonth(at, timeZone).split('-').map(Number);
  return startOfDay(utcDay(Date.UTC(year, month, 1)), timeZone);
}

/** True when this runtime knows `timeZone` as an IANA zone name. */
export function isKnownTimeZone(timeZone: string): boolean {
  try {
    formatFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The zone name as this runtime spells it (e.g. 'pacific/auckland' → 'Pacific/Auckland'). */
export function canonicalTimeZone(timeZone: string): string {
  return formatFor(timeZone).resolvedOptions().timeZone;
}

/** The device's own time zone; UTC where the runtime does not say. */
export function deviceTimeZone(): string {
  return new Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}
