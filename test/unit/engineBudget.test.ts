import { describe, expect, it } from 'vitest';
import { admit, budgetLeftBytes } from '../../src/shared/admission.ts';
import { drainQueue, type Uploader } from '../../src/shared/engine.ts';
import { defaultSettings } from '../../src/shared/linkSettings.ts';
import { SpendLedger } from '../../src/shared/spendLedger.ts';
import { type BlobLike, newQueueItem } from '../../src/shared/types.ts';
import { UploadError } from '../../src/shared/UploadError.ts';
import { MemoryQueueStore, VirtualClock } from './fakes.ts';

const ZONE = 'Pacific/Auckland';
const MB = 1_000_000;

/**
 * The engine with the real admission rules and spend ledger, over a virtual clock: an uploader that
 * sends 1 MB chunks (no larger than the budget has left) and counts each into the ledger.
 */
function setup(startsAt: number, fileBytes: number) {
  const clock = new VirtualClock(startsAt);
  const settings = { ...defaultSettings(ZONE), dailyBudgetBytes: 2.5 * MB };
  const ledger = new SpendLedger(ZONE);
  const store = new MemoryQueueStore([
    newQueueItem({ id: 'survey', blob: new Blob([new Uint8Array(fileBytes)]), name: 'survey.mov' }, startsAt),
  ]);
  const uploader: Uploader<BlobLike> = {
    async upload(item, _file, ctx) {
      let offset = item.bytesConfirmed;
      while (offset < item.size) {
        const left = budgetLeftBytes(item, settings, ledger.totals(clock.now())) ?? Number.POSITIVE_INFINITY;
        const chunk = Math.min(MB, item.size - offset, Math.max(1, left));
        clock.time += 1000;
        ledger.record(chunk, clock.now(), 'payload');
        offset += chunk;
        await ctx.onOffset(offset);
        if (offset < item.size && ctx.shouldYield()) throw new UploadError('yielded', 'a chunk boundary');
      }
    },
  };
  const admitNow = (item: Parameters<typeof admit>[0]) =>
    admit(item, settings, ledger.totals(clock.now()), { saveData: false }, clock.now());
  const run = () =>
    drainQueue({ store, uploader, clock, admit: (item) => admitNow(item), budgetMs: 3_600_000 });
  return { clock, ledger, store, run };
}

describe('a daily budget in the engine', () => {
  it('stops at the budget, holds the file until local midnight, and goes on the next day', async () => {
    // 22:00 in Auckland (NZDT, UTC+13) on 30 November 2026.
    const startsAt = Date.UTC(2026, 10, 30, 9, 0, 0);
    const { clock, ledger, store, run } = setup(startsAt, 4 * MB);

    const first = await run();
    expect(first.stoppedBecause).toBe('held');
    const held = store.items.get('survey');
    expect(held).toMatchObject({ status: 'waiting', waitReason: 'budget-day', bytesConfirmed: 2.5 * MB });
    expect(ledger.totals(clock.now()).todayBytes).toBe(2.5 * MB);
    // Held until midnight in Auckland: 11:00 UTC.
    expect(held?.notBefore).toBe(Date.UTC(2026, 10, 30, 11, 0, 0));

    // An hour before midnight, a run of 30 s leaves it alone.
    clock.time = Date.UTC(2026, 10, 30, 10, 0, 0);
    expect((await run()).stoppedBecause).toBe('backoff');
    expect(store.items.get('survey')?.bytesConfirmed).toBe(2.5 * MB);
    expect(ledger.totals(clock.now()).todayBytes).toBe(2.5 * MB);

    // Past midnight the day's count starts again and the file finishes.
    clock.time = Date.UTC(2026, 10, 30, 11, 0, 1);
    const next = await run();
    expect(next.stoppedBecause).toBe('empty');
    expect(next.uploaded).toBe(1);
    expect(store.items.get('survey')).toMatchObject({ status: 'uploaded', bytesConfirmed: 4 * MB });
    expect(ledger.totals(clock.now()).todayBytes).toBe(1.5 * MB);
  });
});
