import { addDays, localDay, localMonth } from './zonedDate.ts';

/**
 * What a request on the link was for. Every request counts, whatever its end: the airtime is paid.
 * - payload: tus PATCH bodies that carried a file's bytes
 * - retry: bodies sent again, or of requests that failed (bytes the server did not keep)
 * - probe: HEAD requests and link checks
 * - progress: progress reads while a chunk is in flight
 * - control: creation, dedupe, termination, sign-in and other small requests
 */
export type SpendKind = 'payload' | 'retry' | 'probe' | 'progress' | 'control';

export const SPEND_KINDS: readonly SpendKind[] = ['payload', 'retry', 'probe', 'progress', 'control'];

/**
 * Bytes a request's headers put on the link, both ways, when the caller cannot see them: a tus
 * request with a bearer token and its answer come to roughly this (fetch does not expose the sizes).
 */
export const HEADER_BYTES_ESTIMATE = 700;

/** Days of daily buckets kept: this month and all of the last, whatever their lengths. */
export const KEEP_DAYS = 62;

/** One local day's bytes on the link, by kind. `day` is 'YYYY-MM-DD' in the settings' time zone. */
export type DaySpend = { day: string } & Record<SpendKind, number>;

/** Bytes spent in the budget periods that contain `now`. */
export interface SpendTotals {
  todayBytes: number;
  monthBytes: number;
}

/** An empty bucket for `day`. */
export function emptyDay(day: string): DaySpend {
  return { day, payload: 0, retry: 0, probe: 0, progress: 0, control: 0 };
}

/** `bucket` with `bytes` more of `kind`; negative, fractional or non-finite counts are not recorded. */
export function addSpend(bucket: DaySpend, bytes: number, kind: SpendKind): DaySpend {
  const n = Number.isFinite(bytes) && bytes > 0 ? Math.round(bytes) : 0;
  return { ...bucket, [kind]: bucket[kind] + n };
}

/** All bytes of a day, every kind. */
export function dayTotal(bucket: DaySpend): number {
  return SPEND_KINDS.reduce((sum, kind) => sum + bucket[kind], 0);
}

/** The oldest day kept once `newest` has a bucket. */
export function oldestKeptDay(newest: string): string {
  return addDays(newest, 1 - KEEP_DAYS);
}

/** True when `value` has the shape of a stored bucket (records cross versions and a trust boundary). */
export function isDaySpend(value: unknown): value is DaySpend {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.day === 'string' &&
    /^\d{4}-\d{2}-\d{2}$/.test(v.day) &&
    SPEND_KINDS.every((k) => typeof v[k] === 'number' && Number.isFinite(v[k]))
  );
}

/**
 * Bytes on the link per local day, for budgets and the spend line. Pure: it knows nothing of where it
 * is stored. Days are named in `timeZone`; change it and later records and queries follow the new
 * zone, while days already recorded keep their names.
 */
export class SpendLedger {
  /** IANA zone that names days and months (LinkSettings.timeZone). */
  timeZone: string;
  readonly #days = new Map<string, DaySpend>();

  /** @param days buckets to start from, e.g. as read from storage; malformed ones are skipped */
  constructor(timeZone: string, days: readonly unknown[] = []) {
    this.timeZone = timeZone;
    for (const day of days) if (isDaySpend(day)) this.put(day);
  }

  /** Counts `bytes` of `kind` put on the link at `atMs`; returns the day's bucket afterwards. */
  record(bytes: number, atMs: number, kind: SpendKind): DaySpend {
    const day = localDay(atMs, this.timeZone);
    return this.put(addSpend(this.#days.get(day) ?? emptyDay(day), bytes, kind));
  }

  /** Puts a day's bucket as stored (another writer may have added to it) and drops days too old to keep. */
  put(bucket: DaySpend): DaySpend {
    this.#days.set(bucket.day, { ...bucket });
    const newest = [...this.#days.keys()].sort().at(-1) ?? bucket.day;
    const oldest = oldestKeptDay(newest);
    for (const day of this.#days.keys()) if (day < oldest) this.#days.delete(day);
    return bucket;
  }

  /** Bytes on local day `day` ('YYYY-MM-DD'). */
  spentOn(day: string): number {
    const bucket = this.#days.get(day);
    return bucket ? dayTotal(bucket) : 0;
  }

  /** Bytes since the last local midnight before `now`. */
  spentToday(now: number): number {
    return this.spentOn(localDay(now, this.timeZone));
  }

  /** Bytes since the start of the local month of `now`. */
  spentThisMonth(now: number): number {
    const month = localMonth(now, this.timeZone);
    let sum = 0;
    for (const bucket of this.#days.values()) if (bucket.day.startsWith(month)) sum += dayTotal(bucket);
    return sum;
  }

  /** Both totals, as admission takes them. */
  totals(now: number): SpendTotals {
    return { todayBytes: this.spentToday(now), monthBytes: this.spentThisMonth(now) };
  }

  /** The buckets kept, oldest first: the serialisable form (at most KEEP_DAYS small records). */
  toJSON(): DaySpend[] {
    return [...this.#days.values()].sort((a, b) => (a.day < b.day ? -1 : 1)).map((d) => ({ ...d }));
  }
}

const minorDigits = new Map<string, number>();

/** Decimal places of `currency`'s smallest unit: 2 for USD, 0 for JPY, 3 for KWD. */
function digitsOf(currency: string): number {
  let digits = minorDigits.get(currency);
  if (digits === undefined) {
    digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions()
      .maximumFractionDigits as number;
    minorDigits.set(currency, digits);
  }
  return digits;
}

/**
 * What `bytes` cost at `pricePerGB` (per 10^9 bytes), rounded half up to the currency's smallest
 * unit. Binary noise is cut at 12 significant digits first, so 0.5 cent comes out as 1 cent.
 */
export function costOf(bytes: number, pricePerGB: number, currency: string): number {
  const scale = 10 ** digitsOf(currency);
  const minor = Number(((bytes / 1e9) * pricePerGB * scale).toPrecision(12));
  return Math.round(minor) / scale;
}

/** An amount as the reader's locale writes money, e.g. "$12.40" or "12,40 €". */
export function formatMoney(amount: number, currency: string, locale?: string): string {
  return new Intl.NumberFormat(locale, { style: 'currency', currency }).format(amount);
}
