import {
  addSpend,
  type DaySpend,
  emptyDay,
  isDaySpend,
  oldestKeptDay,
  type SpendKind,
  SpendLedger,
} from '../spendLedger.ts';
import { localDay } from '../zonedDate.ts';
import { lazyDb } from './QueueDb.ts';

/** Keys of the daily spend records: 'spend:YYYY-MM-DD' (local day), in the `settings` store. */
export const SPEND_KEY_PREFIX = 'spend:';

const keyOf = (day: string) => `${SPEND_KEY_PREFIX}${day}`;
/** Every spend key: ':' is followed by digits, all below ';'. */
const allSpend = () => IDBKeyRange.bound(SPEND_KEY_PREFIX, `${SPEND_KEY_PREFIX};`);

/**
 * Bytes on the link in IndexedDB, one small record per local day, so that counting a request
 * rewrites one record of six numbers. Page and worker may both write: each count reads and
 * writes its day in one transaction, so no count is lost between them.
 */
export class IdbSpendStore {
  readonly #open: ReturnType<typeof lazyDb>;

  constructor(name?: string) {
    this.#open = lazyDb(name);
  }

  /**
   * Adds `bytes` of `kind` to the local day of `atMs` in `timeZone`; returns that day's record as
   * stored afterwards (with every writer's counts). The first count of a day also deletes the days
   * older than KEEP_DAYS, in the same transaction.
   */
  async record(bytes: number, atMs: number, kind: SpendKind, timeZone: string): Promise<DaySpend> {
    const day = localDay(atMs, timeZone);
    const tx = (await this.#open()).transaction('settings', 'readwrite');
    const stored = await tx.store.get(keyOf(day));
    const next = addSpend(isDaySpend(stored) ? stored : emptyDay(day), bytes, kind);
    const writes: Promise<unknown>[] = [tx.store.put(next, keyOf(day))];
    if (!stored) {
      writes.push(
        tx.store.delete(IDBKeyRange.bound(SPEND_KEY_PREFIX, keyOf(oldestKeptDay(day)), false, true)),
      );
    }
    await Promise.all([...writes, tx.done]);
    return next;
  }

  /** Every stored day (at most KEEP_DAYS of them), oldest first. */
  async days(): Promise<DaySpend[]> {
    const values = await (await this.#open()).getAll('settings', allSpend());
    return values.filter(isDaySpend);
  }

  /** A ledger of the stored days, naming days in `timeZone`. */
  async ledger(timeZone: string): Promise<SpendLedger> {
    return new SpendLedger(timeZone, await this.days());
  }
}
