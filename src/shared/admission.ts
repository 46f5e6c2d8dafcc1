import { formatBytes } from './format.ts';
import type { LinkSettings } from './linkSettings.ts';
import type { SpendTotals } from './spendLedger.ts';
import { type AdmissionWait, CRITICAL_PRIORITY, type QueueItem, type WaitReason } from './types.ts';
import { nextDayStart, nextMonthStart } from './zonedDate.ts';

/** Every reason admission gives for holding a file back. */
export const ADMISSION_WAITS: readonly AdmissionWait[] = [
  'budget-day',
  'budget-month',
  'metered',
  'save-data',
];

/** True when `reason` is one admission gave. */
export const isAdmissionWait = (reason: WaitReason | null): reason is AdmissionWait =>
  (ADMISSION_WAITS as readonly (WaitReason | null)[]).includes(reason);

/** What the device says about its network, beyond what the crew set. */
export interface AdmissionHints {
  /** The user's data saver is on (`navigator.connection.saveData`, the Network Information API). */
  saveData: boolean;
}

/** Whether a file may start now; when not, why, in words for the crew, and when to ask again. */
export type Admission =
  | { ok: true }
  | {
      ok: false;
      /** Becomes the item's `waitReason`. */
      reason: AdmissionWait;
      /** Plain words for the crew, e.g. for a run log or the item's detail. */
      message: string;
      /** When the answer may change by itself (the item's `notBefore`); null when only a setting can. */
      retryAt: number | null;
    };

/**
 * Decides whether `item` may start (or go on with its next chunk) now. Rules, first match wins:
 * 1. this month's budget is used up → wait until the 1st of next month (local midnight);
 * 2. today's budget is used up → wait until the next local midnight;
 *    both skipped for priority ≥ CRITICAL_PRIORITY when `allowCriticalOverBudget` is on;
 * 3. the link is marked metered and the file is larger than `meteredMaxBytes` → wait;
 * 4. the device asks to save data and the file is larger than `meteredMaxBytes` → wait.
 * A budget is "used up" once what was spent reaches it. Asked again at each chunk boundary, with
 * chunks no larger than `budgetLeftBytes`, a run goes over by a chunk's headers at most.
 * @param spend bytes spent today and this month, from SpendLedger.totals(now)
 * @param now epoch ms; days and months are those of `settings.timeZone`
 */
export function admit(
  item: Pick<QueueItem, 'size' | 'priority'>,
  settings: LinkSettings,
  spend: SpendTotals,
  hints: AdmissionHints,
  now: number,
): Admission {
  const { monthlyBudgetBytes: month, dailyBudgetBytes: day, meteredMaxBytes: max, timeZone } = settings;
  const mayOverspend = settings.allowCriticalOverBudget && item.priority >= CRITICAL_PRIORITY;
  if (!mayOverspend && month !== null && spend.monthBytes >= month) {
    return {
      ok: false,
      reason: 'budget-month',
      message: `This month’s data budget (${formatBytes(month)}) is used up. Files continue on the 1st of next month, or when the monthly budget is raised.`,
      retryAt: nextMonthStart(now, timeZone),
    };
  }
  if (!mayOverspend && day !== null && spend.todayBytes >= day) {
    return {
      ok: false,
      reason: 'budget-day',
      message: `Today’s data budget (${formatBytes(day)}) is used up. Files continue after midnight, or when the daily budget is raised.`,
      retryAt: nextDayStart(now, timeZone),
    };
  }
  if (item.size > max && (settings.metered || hints.saveData)) {
    const size = `This file (${formatBytes(item.size)}) is larger than ${formatBytes(max)}`;
    return settings.metered
      ? {
          ok: false,
          reason: 'metered',
          message: `${size}, the limit on a metered link. It waits until the link is no longer marked metered.`,
          retryAt: null,
        }
      : {
          ok: false,
          reason: 'save-data',
          message: `${size}, the limit while this device’s data saver is on. It waits until data saver is off.`,
          retryAt: null,
        };
  }
  return { ok: true };
}

/**
 * Bytes that may still go on the link before a budget is used up (the tighter of day and month),
 * or null when no budget applies to `item`; chunks are cut to it so a budget is not overrun.
 */
export function budgetLeftBytes(
  item: Pick<QueueItem, 'priority'>,
  settings: LinkSettings,
  spend: SpendTotals,
): number | null {
  if (settings.allowCriticalOverBudget && item.priority >= CRITICAL_PRIORITY) return null;
  const left = [
    settings.dailyBudgetBytes === null ? null : settings.dailyBudgetBytes - spend.todayBytes,
    settings.monthlyBudgetBytes === null ? null : settings.monthlyBudgetBytes - spend.monthBytes,
  ].filter((n): n is number => n !== null);
  return left.length ? Math.max(0, Math.min(...left)) : null;
}
