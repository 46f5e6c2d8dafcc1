import type { QueueItem } from './types.ts';

/**
 * When to ask the browser to keep this app's storage through storage pressure
 * (`navigator.storage.persist()`). Asked too early, the question means nothing to the crew (and a
 * browser that decides by itself says no to an app it barely knows); asked when files that have
 * not reached shore would be lost with the storage, the crew see why it matters.
 */

/** Tunables of the policy. */
export interface PersistPolicy {
  /** Bytes still to send on this device from which the question is worth asking. Default 50 MB: one short video. */
  queuedBytes: number;
  /** After the browser said no, how long before the uploads screen offers again. Default 7 days. */
  quietAfterRefusalMs: number;
}

export const defaultPersistPolicy: PersistPolicy = { queuedBytes: 50e6, quietAfterRefusalMs: 7 * 86_400_000 };

/** What the policy looks at. */
export interface PersistInput {
  /** What the browser says now: kept, not kept, or null where it cannot keep storage at all. */
  persisted: boolean | null;
  /** The queue as stored. */
  items: readonly Pick<QueueItem, 'status' | 'size' | 'bytesConfirmed' | 'waitReason'>[];
  /** False when the device or the worker knows shore cannot be reached now. */
  online: boolean;
  /** When the crew last asked and the browser said no; null if never. */
  refusedAt: number | null;
  now: number;
}

/**
 * `kept`: the browser promised already. `unsupported`: it cannot promise. `offer`: ask now, with the
 * reason in words and a button. `refused`: it said no lately; the uploads screen stays quiet (Settings
 * still offers). `not-yet`: nothing on this device would be lost yet.
 */
export type PersistAdvice = 'kept' | 'unsupported' | 'offer' | 'refused' | 'not-yet';

/** Bytes of files on this device the server does not hold yet (the ones lost with the storage). */
export function unsentBytes(items: PersistInput['items']): number {
  let bytes = 0;
  for (const item of items)
    if (item.status !== 'uploaded') bytes += Math.max(0, item.size - item.bytesConfirmed);
  return bytes;
}

/** Whether to ask for persistent storage now; see PersistAdvice. */
export function persistAdvice(
  input: PersistInput,
  policy: PersistPolicy = defaultPersistPolicy,
): PersistAdvice {
  if (input.persisted === null) return 'unsupported';
  if (input.persisted) return 'kept';
  const unsent = unsentBytes(input.items);
  if (unsent === 0) return 'not-yet';
  // A file waiting for a link that is down may wait for days: that is when storage pressure bites.
  const waitsOffline =
    input.items.some((i) => i.status === 'waiting' && i.waitReason === 'offline') ||
    (!input.online && input.items.some((i) => i.status === 'waiting' || i.status === 'uploading'));
  if (unsent < policy.queuedBytes && !waitsOffline) return 'not-yet';
  if (input.refusedAt !== null && input.now - input.refusedAt < policy.quietAfterRefusalMs) return 'refused';
  return 'offer';
}
