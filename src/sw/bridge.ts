import { CHANNEL_NAME, type WorkerMessage } from '../shared/messages.ts';
import type { QueueItem, QueueItemView } from '../shared/types.ts';

const channel = new BroadcastChannel(CHANNEL_NAME);

/** Tells every open page something changed. */
export function announce(message: WorkerMessage): void {
  channel.postMessage(message);
}

/** The page-safe view of an item: the Blob stays in IndexedDB. */
export function viewOf(item: QueueItem<Blob>): QueueItemView {
  const { blob: _blob, ...view } = item;
  return view;
}
