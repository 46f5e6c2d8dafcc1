import 'fake-indexeddb/auto';
import { openDB } from 'idb';
import { describe, expect, it } from 'vitest';
import { IdbQueueStore } from '../../src/shared/db/IdbQueueStore.ts';
import { IdbSettingsStore, LINK_SETTINGS_KEY } from '../../src/shared/db/IdbSettingsStore.ts';
import { IdbSpendStore, SPEND_KEY_PREFIX } from '../../src/shared/db/IdbSpendStore.ts';
import { defaultSettings, validateSettings } from '../../src/shared/linkSettings.ts';
import { KEEP_DAYS, SPEND_KINDS } from '../../src/shared/spendLedger.ts';

let n = 0;
const dbName = () => `tender-settings-test-${n++}`;
const at = (iso: string) => Date.parse(iso);

describe('link settings in IndexedDB', () => {
  it('are the defaults until saved, then read back as saved', async () => {
    const name = dbName();
    const store = new IdbSettingsStore(name);
    expect(await store.settings()).toEqual(defaultSettings());
    const result = validateSettings({
      dailyBudgetBytes: 5e8,
      monthlyBudgetBytes: 1e10,
      pricePerGB: 14.5,
      currency: 'EUR',
      capKbps: 256,
      metered: true,
      meteredMaxBytes: 2e6,
      allowCriticalOverBudget: true,
      timeZone: 'Pacific/Auckland',
    });
    if (!result.settings) throw new Error(JSON.stringify(result.errors));
    await store.setSettings(result.settings);
    // Another connection, as the worker has.
    expect(await new IdbSettingsStore(name).settings()).toEqual(result.settings);
  });

  it('live beside the device credential without touching it', async () => {
    const name = dbName();
    const queue = new IdbQueueStore(name);
    const credential = { token: 't', deviceId: 'd', name: 'Tablet', enrolledAt: 1, rejectedAt: null };
    await queue.setCredential(credential);
    await new IdbSettingsStore(name).setSettings({ ...defaultSettings('UTC'), metered: true });
    await new IdbSpendStore(name).record(10, at('2026-01-01T00:00:00Z'), 'payload', 'UTC');
    expect(await queue.credential()).toEqual(credential);
  });

  it('a stored field no longer valid takes its default, the others stay', async () => {
    const name = dbName();
    // Save through the store (which creates the schema), then spoil one field as an old version might.
    await new IdbSettingsStore(name).setSettings(defaultSettings('UTC'));
    const raw = await openDB(name);
    await raw.put(
      'settings',
      { ...defaultSettings('UTC'), capKbps: 256, timeZone: 'Nowhere/Atoll' },
      LINK_SETTINGS_KEY,
    );
    raw.close();
    expect(await new IdbSettingsStore(name).settings()).toMatchObject({
      capKbps: 256,
      timeZone: defaultSettings().timeZone,
    });
  });
});

describe('sign-out and the browser’s refusal to keep storage', () => {
  it('signing out forgets the credential and nothing else', async () => {
    const name = dbName();
    const queue = new IdbQueueStore(name);
    const settings = new IdbSettingsStore(name);
    await queue.setCredential({ token: 't', deviceId: 'd', name: 'Tablet', enrolledAt: 1, rejectedAt: null });
    await settings.setSettings({ ...defaultSettings('UTC'), metered: true });
    await queue.clearCredential();
    expect(await queue.credential()).toBeUndefined();
    expect((await settings.settings()).metered).toBe(true);
  });

  it('a refusal’s time is kept until cleared', async () => {
    const name = dbName();
    const store = new IdbSettingsStore(name);
    expect(await store.persistRefusedAt()).toBeNull();
    await store.setPersistRefusedAt(at('2026-03-01T10:00:00Z'));
    expect(await new IdbSettingsStore(name).persistRefusedAt()).toBe(at('2026-03-01T10:00:00Z'));
    await store.setPersistRefusedAt(null);
    expect(await store.persistRefusedAt()).toBeNull();
  });
});

describe('spend records in IndexedDB', () => {
  it('loses no count when page and worker record at once', async () => {
    const name = dbName();
    const page = new IdbSpendStore(name);
    const worker = new IdbSpendStore(name);
    const now = at('2026-11-24T03:00:00Z');
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < 100; i++) {
      const kind = SPEND_KINDS[i % SPEND_KINDS.length] ?? 'payload';
      writes.push((i % 2 ? page : worker).record(1000 + i, now + i, kind, 'Pacific/Auckland'));
    }
    await Promise.all(writes);
    const ledger = await page.ledger('Pacific/Auckland');
    const expected = Array.from({ length: 100 }, (_, i) => 1000 + i).reduce((a, b) => a + b, 0);
    expect(ledger.spentToday(now)).toBe(expected);
    expect(ledger.toJSON()).toHaveLength(1);
  });

  it('keeps one small record per local day and returns it after each count', async () => {
    const store = new IdbSpendStore(dbName());
    await store.record(100, at('2026-11-24T10:59:00Z'), 'payload', 'Pacific/Auckland');
    const day = await store.record(5, at('2026-11-24T11:01:00Z'), 'probe', 'Pacific/Auckland');
    expect(day).toEqual({ day: '2026-11-25', payload: 0, retry: 0, probe: 5, progress: 0, control: 0 });
    expect((await store.days()).map((d) => d.day)).toEqual(['2026-11-24', '2026-11-25']);
  });

  it(`deletes days older than ${KEEP_DAYS} when a new day begins, and only spend records`, async () => {
    const name = dbName();
    const store = new IdbSpendStore(name);
    await new IdbSettingsStore(name).setSettings(defaultSettings('UTC'));
    const first = at('2026-01-01T12:00:00Z');
    for (let d = 0; d <= KEEP_DAYS; d++) await store.record(1, first + d * 86_400_000, 'payload', 'UTC');
    const days = (await store.days()).map((d) => d.day);
    expect(days).toHaveLength(KEEP_DAYS);
    expect(days[0]).toBe('2026-01-02');
    const raw = await openDB(name);
    const keys = await raw.getAllKeys('settings');
    raw.close();
    expect(keys).toContain(LINK_SETTINGS_KEY);
    expect(keys.filter((k) => String(k).startsWith(SPEND_KEY_PREFIX))).toHaveLength(KEEP_DAYS);
  });
});
