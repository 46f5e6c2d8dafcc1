import { type Admission, type AdmissionHints, admit, budgetLeftBytes } from '../shared/admission.ts';
import { IdbSettingsStore } from '../shared/db/IdbSettingsStore.ts';
import { IdbSpendStore } from '../shared/db/IdbSpendStore.ts';
import { defaultSettings, type LinkSettings } from '../shared/linkSettings.ts';
import { chunkSizeForCap, paceDelayMs } from '../shared/pacing.ts';
import { type SpendKind, SpendLedger, type SpendTotals } from '../shared/spendLedger.ts';
import type { QueueItem } from '../shared/types.ts';
import { announce } from './bridge.ts';

/*
 * The link settings and spend ledger as the worker holds them: read from IndexedDB when the worker
 * starts and again on every 'settings-changed' from a page, so the uploader always works under what
 * the crew last saved. The uploader asks here before each file and chunk, and reports each request.
 */

const settingsStore = new IdbSettingsStore();
const spendStore = new IdbSpendStore();

let settings: LinkSettings = defaultSettings();
let ledger = new SpendLedger(settings.timeZone);
let loaded: Promise<LinkSettings> | null = null;

/** The settings in force; defaults until the first read from IndexedDB has finished. */
export function currentSettings(): LinkSettings {
  return settings;
}

/**
 * Reads the settings and the spend records again, then tells the pages which settings are in force
 * and what was spent. A failed read keeps the settings held before.
 */
export function loadSettings(): Promise<LinkSettings> {
  const reading = (async () => {
    try {
      const next = await settingsStore.settings();
      ledger = await spendStore.ledger(next.timeZone);
      settings = next;
    } catch (err) {
      console.error('[tender] link settings could not be read; keeping the ones in force', err);
    }
    announce({ type: 'settings-applied', settings });
    announce({ type: 'spend', ...ledger.totals(Date.now()) });
    return settings;
  })();
  loaded = reading;
  return reading;
}

/** The settings once they were read at least once. */
function ready(): Promise<LinkSettings> {
  loaded ??= loadSettings();
  return loaded;
}

/**
 * Counts bytes a request put on the link (body and headers, sent and received; a failed request's
 * body counts in full), stores them and tells the pages the new totals.
 * @param atMs when the request ended; the budget day is the one of this instant
 */
export async function recordSpend(bytes: number, kind: SpendKind, atMs: number = Date.now()): Promise<void> {
  const { timeZone } = await ready();
  ledger.put(await spendStore.record(bytes, atMs, kind, timeZone));
  announce({ type: 'spend', ...ledger.totals(Date.now()) });
}

/** Bytes spent today and this month, as admission takes them. */
export async function spendTotals(now: number = Date.now()): Promise<SpendTotals> {
  await ready();
  return ledger.totals(now);
}

/** What the browser says of the link now (it changes as the device moves between networks). */
export function networkHints(): AdmissionHints {
  const connection = (navigator as WorkerNavigator & { connection?: { saveData?: boolean } }).connection;
  return { saveData: connection?.saveData === true };
}

/** Whether `item` may start (or send its next chunk) now, under the worker's settings, spend and hints. */
export async function admitNow(
  item: Pick<QueueItem, 'size' | 'priority'>,
  now: number = Date.now(),
): Promise<Admission> {
  const current = await ready();
  return admit(item, current, ledger.totals(now), networkHints(), now);
}

/**
 * admitNow without waiting, under the settings and spend held at this instant: for chunk
 * boundaries (`shouldYield` is synchronous), once admitNow has been awaited for the attempt.
 */
export function admitLoaded(item: Pick<QueueItem, 'size' | 'priority'>, now: number = Date.now()): Admission {
  return admit(item, settings, ledger.totals(now), networkHints(), now);
}

/**
 * Counts bytes in the ledger held in memory at once, so admission at the next chunk boundary sees
 * them; `recordSpend` stores them (in batches) and replaces the day's count with the stored one.
 */
export function noteSpend(bytes: number, kind: SpendKind, atMs: number = Date.now()): void {
  ledger.record(bytes, atMs, kind);
}

/** The largest chunk `item` may send without overrunning a budget; `chunkSize` when none applies. */
export function budgetedChunkSize(item: Pick<QueueItem, 'priority'>, chunkSize: number): number {
  const left = budgetLeftBytes(item, settings, ledger.totals(Date.now()));
  return left === null ? chunkSize : Math.max(1, Math.min(chunkSize, Math.floor(left)));
}

/** Ms to wait after a request of `bytes` that took `elapsedMs`, under the cap in force (0 without one). */
export function paceAfter(bytes: number, elapsedMs: number): number {
  return paceDelayMs(settings.capKbps, bytes, elapsedMs);
}

/** The chunk size to use under the cap in force; `chunkSize` itself without one. */
export function cappedChunkSize(chunkSize: number): number {
  return chunkSizeForCap(settings.capKbps, chunkSize);
}
