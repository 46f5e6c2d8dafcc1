import { useEffect, useState } from 'preact/hooks';
import { IdbQueueStore } from '../shared/db/IdbQueueStore.ts';
import { compareItems } from '../shared/engine.ts';
import { newQueueItem, type QueueItem, type QueueItemView } from '../shared/types.ts';
import { onWorkerMessage, requestUpload } from './swBridge.ts';

const store = new IdbQueueStore();

/** What the page shows: the queue as stored in IndexedDB, kept fresh by the worker's messages. */
export interface QueueState {
  items: QueueItemView[];
  running: boolean;
  loaded: boolean;
}

type Listener = (state: QueueState) => void;
let state: QueueState = { items: [], running: false, loaded: false };
const listeners = new Set<Listener>();

function publish(next: QueueState): void {
  state = next;
  for (const listener of listeners) listener(state);
}

function sortForDisplay(items: QueueItemView[]): QueueItemView[] {
  return [...items].sort((a, b) => compareItems(a as QueueItem, b as QueueItem));
}

/** Rebuilds the list from IndexedDB: the queue, not page memory, is the truth. */
export async function reloadQueue(): Promise<void> {
  const items = await store.all();
  publish({ ...state, loaded: true, items: sortForDisplay(items.map(({ blob: _blob, ...view }) => view)) });
}

/** Stores picked files in the queue (all or none) and asks the worker to upload them. */
export async function addFiles(files: File[]): Promise<void> {
  if (!files.length) return;
  const now = Date.now();
  const items = files.map((file) =>
    newQueueItem({ id: crypto.randomUUID(), blob: file, name: file.name, type: file.type }, now),
  );
  await store.add(items);
  void navigator.storage?.persist?.();
  await reloadQueue();
  await requestUpload('added');
}

let started = false;

/** Loads the queue once and follows the worker; safe to call more than once. */
function start(): void {
  if (started) return;
  started = true;
  void reloadQueue();
  onWorkerMessage((message) => {
    if (message.type === 'item-changed') {
      const others = state.items.filter((i) => i.id !== message.item.id);
      publish({ ...state, items: sortForDisplay([...others, message.item]) });
    } else if (message.type === 'run-state') {
      publish({ ...state, running: message.running });
      if (!message.running) void reloadQueue();
    }
  });
  const wake = (reason: string) => void requestUpload(reason);
  window.addEventListener('online', () => wake('online'));
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') {
      void reloadQueue();
      wake('visible');
    }
  });
  wake('open');
}

/** The queue state as a hook. */
export function useQueue(): QueueState {
  const [current, setCurrent] = useState(state);
  useEffect(() => {
    start();
    listeners.add(setCurrent);
    setCurrent(state);
    return () => void listeners.delete(setCurrent);
  }, []);
  return current;
}
