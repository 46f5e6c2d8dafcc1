import type { QueueItem, UploadStatus, WaitReason } from './types.ts';

/**
 * What the queue view shows and adds up: filters, totals and times left. Pure, so that the page only
 * wires it and every rule here has a table test.
 */

/** The filters above the list. */
export type QueueFilter = 'all' | 'waiting' | 'uploaded' | 'failed';

export const QUEUE_FILTERS: readonly QueueFilter[] = ['all', 'waiting', 'uploaded', 'failed'];

/** Statuses each filter shows: "Waiting" is everything still to go, paused files included. */
const SHOWN: Record<Exclude<QueueFilter, 'all'>, readonly UploadStatus[]> = {
  waiting: ['waiting', 'uploading', 'paused'],
  uploaded: ['uploaded'],
  failed: ['failed'],
};

/** True when `filter` shows `item`. */
export function matchesFilter(item: Pick<QueueItem, 'status'>, filter: QueueFilter): boolean {
  return filter === 'all' || SHOWN[filter].includes(item.status);
}

/** How many items each filter shows. */
export function filterCounts(items: readonly Pick<QueueItem, 'status'>[]): Record<QueueFilter, number> {
  const counts: Record<QueueFilter, number> = { all: items.length, waiting: 0, uploaded: 0, failed: 0 };
  for (const item of items) {
    if (matchesFilter(item, 'waiting')) counts.waiting++;
    else if (item.status === 'uploaded') counts.uploaded++;
    else if (item.status === 'failed') counts.failed++;
  }
  return counts;
}

/** The items `filter` shows, in the order given; `items` itself for 'all'. */
export function filterItems<T extends Pick<QueueItem, 'status'>>(items: readonly T[], filter: QueueFilter) {
  return filter === 'all' ? items : items.filter((item) => matchesFilter(item, filter));
}

/** Bytes the server holds of `item` as far as the page knows: confirmed, or live progress ahead of it. */
export function bytesOnServer(item: Pick<QueueItem, 'size' | 'bytesConfirmed'>, live?: number): number {
  return Math.min(item.size, Math.max(item.bytesConfirmed, live ?? 0));
}

/** Reasons that hold a file back until a person or the calendar changes something, not the link. */
const HELD: readonly WaitReason[] = ['signed-out', 'budget-day', 'budget-month', 'metered', 'save-data'];

/**
 * True when `item` goes ashore by itself as soon as the link lets it: it is uploading, or waiting
 * for nothing but its turn, the link or a retry. Paused, failed and held-back files do not.
 */
export function goesByItself(item: Pick<QueueItem, 'status' | 'waitReason'>): boolean {
  if (item.status === 'uploading') return true;
  return item.status === 'waiting' && !(item.waitReason && HELD.includes(item.waitReason));
}

/** What the totals line above the list says. */
export interface QueueTotals {
  /** Files that go by themselves (see goesByItself). */
  toSend: number;
  /** Bytes of those files the server does not hold yet. */
  bytesLeft: number;
  /** Waiting files held back by a budget, a metered link, data saver or a lost sign-in. */
  heldBack: number;
  paused: number;
  failed: number;
}

/** Adds up the queue; `live` is bytes the server has received of running items, by id. */
export function queueTotals(
  items: readonly QueueItem[],
  live: Readonly<Record<string, number>>,
): QueueTotals {
  const totals: QueueTotals = { toSend: 0, bytesLeft: 0, heldBack: 0, paused: 0, failed: 0 };
  for (const item of items) {
    if (goesByItself(item)) {
      totals.toSend++;
      totals.bytesLeft += item.size - bytesOnServer(item, live[item.id]);
    } else if (item.status === 'waiting') totals.heldBack++;
    else if (item.status === 'paused') totals.paused++;
    else if (item.status === 'failed') totals.failed++;
  }
  return totals;
}

/** The link as the worker last described it; the part the estimate needs. */
export interface RateSource {
  state: 'unknown' | 'up' | 'down';
  /** Bytes per second reaching the server, smoothed; null before the first transfer. */
  goodputBps: number | null;
  rttMs: number | null;
}

/** The link's measured pace, or null when there is none to go by. */
export interface Pace {
  /** Bytes per second reaching the server. */
  bytesPerSec: number;
  /** Time each file costs besides its bytes (creating the upload, its answers). */
  perFileSec: number;
}

/**
 * Round trips a file costs besides its bytes: the duplicate check, the creation request and the
 * last chunk's answer. Without them a queue of small files on a 600 ms link would look minutes
 * shorter than it is.
 */
export const ROUND_TRIPS_PER_FILE = 3;

/**
 * The pace to estimate with, or null when it is not known now: no measurement yet, the link is down
 * or the browser is offline. A rate from before an outage says nothing about when it ends.
 */
export function paceOf(link: RateSource | null, online: boolean): Pace | null {
  if (!online || !link || link.state === 'down') return null;
  const rate = link.goodputBps;
  if (rate === null || !Number.isFinite(rate) || rate <= 0) return null;
  const rtt = link.rttMs !== null && Number.isFinite(link.rttMs) && link.rttMs > 0 ? link.rttMs : 0;
  return { bytesPerSec: rate, perFileSec: (ROUND_TRIPS_PER_FILE * rtt) / 1000 };
}

/**
 * Seconds until each item that goes by itself is done, taking the items in the order given (the
 * queue's order: the one uploading, then the next in line). Items that do not go by themselves, and
 * every item when the pace is unknown, are absent: the view then says nothing rather than guess.
 */
export function finishTimes(
  items: readonly QueueItem[],
  live: Readonly<Record<string, number>>,
  pace: Pace | null,
): Map<string, number> {
  const times = new Map<string, number>();
  if (!pace) return times;
  // The file on the wire goes first whatever its place: a more urgent one waits for its chunk to end.
  const order = [
    ...items.filter((i) => i.status === 'uploading'),
    ...items.filter((i) => i.status !== 'uploading' && goesByItself(i)),
  ];
  let elapsed = 0;
  for (const item of order) {
    const left = item.size - bytesOnServer(item, live[item.id]);
    // A file already on the wire has paid for its creation; only its last answer is to come.
    const overhead = item.status === 'uploading' ? pace.perFileSec / ROUND_TRIPS_PER_FILE : pace.perFileSec;
    elapsed += left / pace.bytesPerSec + overhead;
    times.set(item.id, elapsed);
  }
  return times;
}

/** Seconds until the last of `times` is done: the queue's time left; 0 for none. */
export function allDoneIn(times: ReadonlyMap<string, number>): number {
  let last = 0;
  for (const t of times.values()) last = Math.max(last, t);
  return last;
}
