import { canonicalTimeZone, deviceTimeZone, isKnownTimeZone } from './zonedDate.ts';

/**
 * What the crew tell Tender about the satellite link: what it may spend, what it costs, how fast it
 * may go. Sizes are bytes; 1 GB is 10^9 bytes, as airtime providers bill and as the page shows sizes.
 */
export interface LinkSettings {
  /** Bytes the link may carry per local day; null for no daily budget. 0 lets only critical files go. */
  dailyBudgetBytes: number | null;
  /** Bytes per local calendar month; null for no monthly budget. */
  monthlyBudgetBytes: number | null;
  /** What one GB (10^9 bytes) costs on this link, in `currency`; 0 when it is not paid by the byte. */
  pricePerGB: number;
  /** ISO 4217 code of `pricePerGB`, e.g. 'USD'. */
  currency: string;
  /** Average rate the uploads may use, in kbit/s (1000 bit/s); null for no cap. */
  capKbps: number | null;
  /** The crew marked this link metered: large files wait. */
  metered: boolean;
  /** Files larger than this wait while the link is metered or the device asks to save data. */
  meteredMaxBytes: number;
  /** Files of priority 9–10 (CRITICAL_PRIORITY and above) may go when a budget is used up. */
  allowCriticalOverBudget: boolean;
  /** IANA zone whose midnight starts a budget day and whose 1st starts a budget month. */
  timeZone: string;
}

/** A field of the settings, for per-field messages. */
export type SettingsField = keyof LinkSettings;

/** What is wrong with each field, in words for the crew. */
export type SettingsErrors = Partial<Record<SettingsField, string>>;

/** The lowest cap accepted: below it each request's own headers would be a large share of its chunk. */
export const MIN_CAP_KBPS = 32;

/** Largest size or budget accepted (1 PB): anything above is a slip of the units. */
const MAX_BYTES = 1e15;

/** Settings before the crew change anything: no budgets, no cap, not metered, the device's time zone. */
export function defaultSettings(timeZone: string = deviceTimeZone()): LinkSettings {
  return {
    dailyBudgetBytes: null,
    monthlyBudgetBytes: null,
    pricePerGB: 0,
    currency: 'USD',
    capKbps: null,
    metered: false,
    // A phone photo or a short document goes; a video waits.
    meteredMaxBytes: 10_000_000,
    allowCriticalOverBudget: false,
    timeZone,
  };
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && !Number.isNaN(v);
const isSize = (v: unknown): v is number => isNumber(v) && v >= 0 && v <= MAX_BYTES;
const size = (v: unknown) => (isSize(v) ? Math.round(v) : undefined);
const budget = (v: unknown) => (v === null ? null : size(v));
const flag = (v: unknown) => (typeof v === 'boolean' ? v : undefined);

/**
 * Each field's value as kept, or undefined when it cannot be: what the form may send or an older
 * stored record may hold. Kept apart from the messages below so the worker, which only reads what
 * the page checked, does not carry them.
 */
const normalise: { [F in SettingsField]: (v: unknown) => LinkSettings[F] | undefined } = {
  dailyBudgetBytes: budget,
  monthlyBudgetBytes: budget,
  pricePerGB: (v) => (isNumber(v) && v >= 0 && v <= 1e6 ? v : undefined),
  currency: (v) => {
    const code = typeof v === 'string' ? v.trim().toUpperCase() : '';
    return /^[A-Z]{3}$/.test(code) ? code : undefined;
  },
  capKbps: (v) => (v === null ? null : isNumber(v) && v >= MIN_CAP_KBPS && v <= 1e7 ? v : undefined),
  metered: flag,
  meteredMaxBytes: size,
  allowCriticalOverBudget: flag,
  timeZone: (v) => {
    const name = typeof v === 'string' ? v.trim() : '';
    return name && isKnownTimeZone(name) ? canonicalTimeZone(name) : undefined;
  },
};

const FIELDS = Object.keys(normalise) as SettingsField[];

/** Why a size was refused. */
const sizeProblem =
  (label: string, orEmpty = '') =>
  (v: unknown) =>
    !isNumber(v)
      ? `${label} must be a number${orEmpty}.`
      : v < 0
        ? `${label} cannot be below zero.`
        : `${label} is too large; check the units.`;

/** What to tell the crew about each field's refused value. */
const problems: Record<SettingsField, (v: unknown) => string> = {
  dailyBudgetBytes: sizeProblem('Daily budget', ', or left empty for no daily budget'),
  monthlyBudgetBytes: sizeProblem('Monthly budget', ', or left empty for no monthly budget'),
  pricePerGB: (v) =>
    !isNumber(v)
      ? 'Price per GB must be a number (0 if the link is not paid by the GB).'
      : v < 0
        ? 'Price per GB cannot be below zero.'
        : 'Price per GB is too large; check the amount.',
  currency: () => 'Currency must be a three-letter code such as USD, EUR or GBP.',
  capKbps: (v) =>
    !isNumber(v)
      ? 'Bandwidth cap must be a number of kbit/s, or left empty for no cap.'
      : v < MIN_CAP_KBPS
        ? `Bandwidth cap must be at least ${MIN_CAP_KBPS} kbit/s, or left empty for no cap.`
        : 'Bandwidth cap is too large; check the units (kbit/s).',
  metered: () => '“This link is metered” must be on or off.',
  meteredMaxBytes: sizeProblem('Largest file on a metered link'),
  allowCriticalOverBudget: () => '“Let priority 9–10 files go over budget” must be on or off.',
  timeZone: (v) =>
    typeof v === 'string' && v.trim()
      ? `“${v.trim()}” is not a time zone this device knows; use a name such as Europe/London or Pacific/Auckland.`
      : 'Time zone must be a name such as Europe/London or Pacific/Auckland.',
};

/**
 * Fields taken from `input` one by one: a missing field takes its default; the names of invalid
 * ones are returned.
 */
function checkEach(input: unknown, defaults: LinkSettings) {
  const source = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
  const settings = { ...defaults } as Record<SettingsField, unknown>;
  const invalid: SettingsField[] = [];
  for (const field of FIELDS) {
    if (source[field] === undefined) continue;
    const value = normalise[field](source[field]);
    if (value === undefined) invalid.push(field);
    else settings[field] = value;
  }
  return { settings: settings as unknown as LinkSettings, invalid, source };
}

/** Either valid settings or, for each invalid field, what is wrong with it. */
export type SettingsResult =
  | { settings: LinkSettings; errors: null }
  | { settings: null; errors: SettingsErrors };

/**
 * Checks settings from the form (or anywhere untrusted). Fields left out take their defaults; sizes
 * are rounded to whole bytes, the currency upper-cased, the time zone spelled as the runtime does.
 * @param input an object with any of the LinkSettings fields
 * @param defaults what a missing field takes; defaultSettings() unless given
 */
export function validateSettings(input: unknown, defaults: LinkSettings = defaultSettings()): SettingsResult {
  const { settings, invalid, source } = checkEach(input, defaults);
  const errors: SettingsErrors = {};
  for (const field of invalid) errors[field] = problems[field](source[field]);
  const { dailyBudgetBytes: day, monthlyBudgetBytes: month } = settings;
  if (!errors.monthlyBudgetBytes && day !== null && month !== null && month < day)
    errors.monthlyBudgetBytes =
      'Monthly budget is smaller than the daily budget; check the units (MB or GB).';
  return Object.keys(errors).length ? { settings: null, errors } : { settings, errors: null };
}

/**
 * Settings from storage: each field that is missing or no longer valid (a time zone this runtime
 * does not know, a record from an older version) takes its default; the rest are kept.
 */
export function readSettings(stored: unknown, defaults: LinkSettings = defaultSettings()): LinkSettings {
  return checkEach(stored, defaults).settings;
}
