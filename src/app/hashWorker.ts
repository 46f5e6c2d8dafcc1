// A dedicated worker that hashes stored files for the page, so a 5 GB video never blocks the screen
// and the WebAssembly hasher stays out of the page's bundle. It hashes the file as picked when the
// page has it, else reads the stored copy from IndexedDB itself.
import { IdbQueueStore } from '../shared/db/IdbQueueStore.ts';
import { hashBlob } from '../shared/hashBlob.ts';
import type { HashReply, HashRequest } from './fileChecks.ts';

/** Progress is reported about every this many bytes. */
const REPORT_EVERY = 16 * 1024 * 1024;

const store = new IdbQueueStore();
const scope = self as unknown as {
  onmessage: ((event: MessageEvent<HashRequest>) => void) | null;
  postMessage(reply: HashReply): void;
};

scope.onmessage = async (event) => {
  const { id, itemId, picked } = event.data;
  let reported = 0;
  try {
    const stored = (await store.blob(itemId)) as Blob | undefined;
    if (!stored) throw new Error('The file is no longer stored on this device');
    // Some browsers store a Blob they cannot read back (WebKit bug 47700): found out now, not at sea.
    if (stored.size > 0) {
      const readable = await stored
        .slice(0, 1)
        .arrayBuffer()
        .then(
          () => true,
          () => false,
        );
      if (!readable) return scope.postMessage({ id, unreadable: true });
    }
    const blob = picked ?? stored;
    const sha256 = await hashBlob(blob, (hashed) => {
      if (hashed - reported < REPORT_EVERY && hashed < blob.size) return;
      reported = hashed;
      scope.postMessage({ id, hashed });
    });
    scope.postMessage({ id, sha256 });
  } catch (err) {
    scope.postMessage({ id, error: err instanceof Error ? err.message : String(err) });
  }
};
