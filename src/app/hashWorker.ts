// A dedicated worker that hashes files for the page, so a 5 GB video never blocks the screen and
// the WebAssembly hasher stays out of the page's bundle. One message per file; answers in kind.
import { hashBlob } from '../shared/hashBlob.ts';
import type { HashReply, HashRequest } from './fileChecks.ts';

/** Progress is reported about every this many bytes. */
const REPORT_EVERY = 16 * 1024 * 1024;

const scope = self as unknown as {
  onmessage: ((event: MessageEvent<HashRequest>) => void) | null;
  postMessage(reply: HashReply): void;
};

scope.onmessage = async (event) => {
  const { id, blob } = event.data;
  let reported = 0;
  try {
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
