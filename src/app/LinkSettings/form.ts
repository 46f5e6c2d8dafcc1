import {
  type LinkSettings,
  type SettingsErrors,
  type SettingsField,
  validateSettings,
} from '../../shared/linkSettings.ts';
import { settingsStore } from '../linkSettingsState.ts';
import { postToWorker } from '../swBridge.ts';

// The link settings form as typed, and how it is checked and saved (loaded with the Settings screen).

/** Units the form offers for budgets, in bytes (powers of 1000, as sizes are shown everywhere). */
export const UNITS = { MB: 1e6, GB: 1e9 } as const;
export type Unit = keyof typeof UNITS;

/** The settings form as typed: text as entered, so that a mistake can be shown and not lost. */
export interface LinkForm {
  daily: string;
  dailyUnit: Unit;
  monthly: string;
  monthlyUnit: Unit;
  price: string;
  currency: string;
  cap: string;
  metered: boolean;
  /** In MB. */
  meteredMax: string;
  allowCritical: boolean;
  timeZone: string;
}

/** A number as the crew may type it ("1,5" as well as "1.5"); NaN when it is not one. */
const parse = (text: string) => Number(text.trim().replace(',', '.'));
/** A number for an input, without float noise (0.30000000000000004 → 0.3). */
const show = (n: number) => String(Number(n.toFixed(3)));

/** A budget in bytes as a number and the unit that reads best. */
function budgetText(bytes: number | null): [string, Unit] {
  if (bytes === null) return ['', 'GB'];
  const unit: Unit = bytes >= UNITS.GB ? 'GB' : 'MB';
  return [show(bytes / UNITS[unit]), unit];
}

/** The form showing `settings`. */
export function formOf(settings: LinkSettings): LinkForm {
  const [daily, dailyUnit] = budgetText(settings.dailyBudgetBytes);
  const [monthly, monthlyUnit] = budgetText(settings.monthlyBudgetBytes);
  return {
    daily,
    dailyUnit,
    monthly,
    monthlyUnit,
    price: show(settings.pricePerGB),
    currency: settings.currency,
    cap: settings.capKbps === null ? '' : show(settings.capKbps),
    metered: settings.metered,
    meteredMax: show(settings.meteredMaxBytes / UNITS.MB),
    allowCritical: settings.allowCriticalOverBudget,
    timeZone: settings.timeZone,
  };
}

/** What the form says, as validateSettings takes it: empty budgets and cap are none, an empty price 0. */
function inputOf(form: LinkForm): Record<SettingsField, unknown> {
  const orNull = (text: string, scale: number) => (text.trim() === '' ? null : parse(text) * scale);
  return {
    dailyBudgetBytes: orNull(form.daily, UNITS[form.dailyUnit]),
    monthlyBudgetBytes: orNull(form.monthly, UNITS[form.monthlyUnit]),
    pricePerGB: form.price.trim() === '' ? 0 : parse(form.price),
    currency: form.currency,
    capKbps: orNull(form.cap, 1),
    metered: form.metered,
    meteredMaxBytes: parse(form.meteredMax) * UNITS.MB,
    allowCriticalOverBudget: form.allowCritical,
    timeZone: form.timeZone,
  };
}

/**
 * Checks and stores the form, then tells the worker to read the settings again. Resolves to the
 * settings saved, or to what is wrong with each field (nothing is saved then).
 */
export async function saveLinkForm(
  form: LinkForm,
): Promise<{ saved: LinkSettings } | { errors: SettingsErrors }> {
  const result = validateSettings(inputOf(form));
  if (result.errors) return { errors: result.errors };
  await settingsStore.setSettings(result.settings);
  await postToWorker({ type: 'settings-changed' });
  return { saved: result.settings };
}

/** True when both hold the same value in every field. */
export function sameSettings(a: LinkSettings, b: LinkSettings): boolean {
  return (Object.keys(a) as SettingsField[]).every((field) => a[field] === b[field]);
}
