import type { LinkSnapshot } from './linkEstimator.ts';
import type { LinkSettings } from './linkSettings.ts';
import type { QueueItem } from './types.ts';

/** Name of the BroadcastChannel the worker announces on. */
export const CHANNEL_NAME = 'tender';
/** Background Sync tag that asks the worker to drain the queue. */
export const SYNC_TAG = 'tender-drain';
/** Web Lock held by whoever is uploading; one runner across tabs and the worker. */
export const RUNNER_LOCK = 'tender-runner';

/** Messages from the worker to every open page. */
export type WorkerMessage =
  | { type: 'item-changed'; item: QueueItem }
  /** The device's storage refused to save this item's progress; nothing queued is lost. */
  | { type: 'storage-full'; id: string; message: string }
  /** Bytes the server has received of a running item, between confirmed offsets. */
  | { type: 'item-progress'; id: string; bytesOnServer: number }
  | { type: 'run-state'; running: boolean; stoppedBecause?: string; remaining?: number }
  | { type: 'auth-changed' }
  /** What the worker knows about the link to shore. */
  | { type: 'link'; link: LinkSnapshot }

  /** The worker has read these link settings and uploads under them from now on. */
  | { type: 'settings-applied'; settings: LinkSettings }
  /** Bytes on the link so far in the budget day and month, after the worker counted a request. */
  | { type: 'spend'; todayBytes: number; monthBytes: number };

/** Messages from a page to the worker. */
export type PageMessage =
  | { type: 'drain'; reason: string }
  /** From workbox-window's `messageSkipWaiting()`: the waiting worker takes over now. */
  | { type: 'SKIP_WAITING' }
  /** The page paused or removed this item; stop its upload if it is running. */
  | { type: 'interrupt'; id: string }
  /** The page removed an item for good; end its upload on the server. */
  | { type: 'terminate'; uploadUrl: string }
  /** The page saved new link settings (budgets, cap, metered); the worker reads them again at once. */
  | { type: 'settings-changed' }
  /** The page shows files not yet known to be ashore; the worker asks the server about them. */
  | { type: 'check-ashore' };

/** True when `data` looks like a PageMessage (messages cross a trust boundary of sorts). */
export function isPageMessage(data: unknown): data is PageMessage {
  return typeof data === 'object' && data !== null && typeof (data as { type?: unknown }).type === 'string';
}
