import { describe, expect, it } from 'vitest';
import {
  defaultSettings,
  type LinkSettings,
  MIN_CAP_KBPS,
  readSettings,
  type SettingsField,
  validateSettings,
} from '../../src/shared/linkSettings.ts';

const base = defaultSettings('Pacific/Auckland');

describe('defaults', () => {
  it('start with no budget, no cap, not metered, in the given zone', () => {
    expect(base).toMatchObject({
      dailyBudgetBytes: null,
      monthlyBudgetBytes: null,
      capKbps: null,
      metered: false,
      allowCriticalOverBudget: false,
      currency: 'USD',
      timeZone: 'Pacific/Auckland',
    });
  });
  it("take the device's own zone when none is given", () => {
    expect(defaultSettings().timeZone).toBe(new Intl.DateTimeFormat().resolvedOptions().timeZone);
  });
});

describe('validation', () => {
  const accepted: [string, Record<string, unknown>, Partial<LinkSettings>][] = [
    ['an empty form keeps every default', {}, base],
    ['budgets in bytes, rounded to whole bytes', { dailyBudgetBytes: 5e8 + 0.4 }, { dailyBudgetBytes: 5e8 }],
    ['a zero daily budget lets only critical files go', { dailyBudgetBytes: 0 }, { dailyBudgetBytes: 0 }],
    [
      'empty budgets mean none',
      { dailyBudgetBytes: null, monthlyBudgetBytes: null },
      { monthlyBudgetBytes: null },
    ],
    [
      'a monthly budget at least the daily one',
      { dailyBudgetBytes: 1e9, monthlyBudgetBytes: 1e9 },
      { monthlyBudgetBytes: 1e9 },
    ],
    ['a price with cents', { pricePerGB: 12.5 }, { pricePerGB: 12.5 }],
    ['a currency code in any case', { currency: ' eur ' }, { currency: 'EUR' }],
    ['the lowest cap', { capKbps: MIN_CAP_KBPS }, { capKbps: MIN_CAP_KBPS }],
    ['no cap', { capKbps: null }, { capKbps: null }],
    [
      'metered, with its size limit',
      { metered: true, meteredMaxBytes: 2e6 },
      { metered: true, meteredMaxBytes: 2e6 },
    ],
    ['critical files over budget', { allowCriticalOverBudget: true }, { allowCriticalOverBudget: true }],
    ['a zone name spelt loosely', { timeZone: ' america/new_york ' }, { timeZone: 'America/New_York' }],
  ];
  it.each(accepted)('accepts %s', (_name, input, expected) => {
    const result = validateSettings(input, base);
    expect(result.errors).toBeNull();
    expect(result.settings).toMatchObject(expected);
  });

  const refused: [string, Record<string, unknown>, SettingsField, RegExp][] = [
    [
      'a budget that is not a number',
      { dailyBudgetBytes: Number.NaN },
      'dailyBudgetBytes',
      /Daily budget must be a number, or left empty/,
    ],
    [
      'a negative budget',
      { monthlyBudgetBytes: -1 },
      'monthlyBudgetBytes',
      /Monthly budget cannot be below zero/,
    ],
    [
      'a budget beyond any link',
      { dailyBudgetBytes: 1e16 },
      'dailyBudgetBytes',
      /too large; check the units/,
    ],
    [
      'a monthly budget below the daily one',
      { dailyBudgetBytes: 2e9, monthlyBudgetBytes: 5e8 },
      'monthlyBudgetBytes',
      /smaller than the daily budget; check the units \(MB or GB\)/,
    ],
    ['a price in words', { pricePerGB: 'ten' }, 'pricePerGB', /Price per GB must be a number/],
    ['a negative price', { pricePerGB: -3 }, 'pricePerGB', /Price per GB cannot be below zero/],
    [
      'a currency name instead of its code',
      { currency: 'dollars' },
      'currency',
      /three-letter code such as USD/,
    ],
    [
      'a cap too low to carry headers',
      { capKbps: 8 },
      'capKbps',
      new RegExp(`at least ${MIN_CAP_KBPS} kbit/s`),
    ],
    [
      'a cap that is not a number',
      { capKbps: Number.NaN },
      'capKbps',
      /Bandwidth cap must be a number of kbit\/s/,
    ],
    ['metered as a word', { metered: 'yes' }, 'metered', /must be on or off/],
    ['a negative metered limit', { meteredMaxBytes: -5 }, 'meteredMaxBytes', /cannot be below zero/],
    [
      'an unknown zone',
      { timeZone: 'Mars/Olympus_Mons' },
      'timeZone',
      /“Mars\/Olympus_Mons” is not a time zone/,
    ],
    ['an empty zone', { timeZone: '  ' }, 'timeZone', /Time zone must be a name such as/],
  ];
  it.each(refused)('refuses %s, saying why', (_name, input, field, message) => {
    const result = validateSettings(input, base);
    expect(result.settings).toBeNull();
    expect(result.errors?.[field]).toMatch(message);
    expect(Object.keys(result.errors ?? {})).toEqual([field]);
  });

  it('reports every invalid field at once', () => {
    const result = validateSettings({ dailyBudgetBytes: -1, currency: '€', capKbps: 1 }, base);
    expect(Object.keys(result.errors ?? {}).sort()).toEqual(['capKbps', 'currency', 'dailyBudgetBytes']);
  });
});

describe('reading stored settings', () => {
  it('keeps valid fields and gives missing or spoilt ones their defaults', () => {
    const stored = { dailyBudgetBytes: 3e8, capKbps: 'fast', timeZone: 'Atlantis/Capital', unknown: 1 };
    expect(readSettings(stored, base)).toEqual({ ...base, dailyBudgetBytes: 3e8 });
  });
  it('reads nothing as the defaults', () => {
    expect(readSettings(undefined, base)).toEqual(base);
  });
});
