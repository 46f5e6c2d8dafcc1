// A dedicated worker that checks stored files for the page, so a 5 GB video never blocks the screen
// and the WebAssembly hasher stays out of the page's bundle. It hashes the file as picked when the
// page has it, else reads the stored copy from IndexedDB itself; for Data saver it first draws a
// smaller copy of a photo, and hashes that, since that is what will be sent. It records each
// outcome in the queue itself, so the rules for it stay out of the page's bundle too.
import { CHECKING_HOLD_MS, DATA_SAVER_QUALITY } from '../shared/config.ts';
import { type DownscalePlan, planDownscale, tooLittleSaved, worthSending } from '../shared/dataSaver.ts';
import { IdbCopyStore } from '../shared/db/IdbCopyStore.ts';
import { hashBlob } from '../shared/hashBlob.ts';
import { HEADER_BYTES, readImageHeader } from '../shared/imageHeader.ts';
import { applyChange } from '../shared/queueStore.ts';
import { checked, checkFailed, chooseDataSaver, unreadableCopy } from '../shared/transitions.ts';
import type { DownscaleOutcome, QueueItem } from '../shared/types.ts';
import type { HashReply, HashRequest } from './fileChecks.ts';

/** What Data saver made of a photo: a smaller copy (sizes as shown), or why not. */
type Shrunk =
  | { smaller: Blob; originalWidth: number; originalHeight: number; width: number; height: number }
  | { reason: string };

/** Progress is reported about every this many bytes. */
const REPORT_EVERY = 16 * 1024 * 1024;

const copies = new IdbCopyStore();
const scope = self as unknown as {
  onmessage: ((event: MessageEvent<HashRequest>) => void) | null;
  postMessage(reply: HashReply): void;
};

/**
 * The picture decoded small, upright as the phone shows it. WebCodecs' ImageDecoder decodes a JPEG
 * straight to an eighth-multiple of its size: a 48 MP photo takes 27 MB of pixels instead of 192 MB
 * (createImageBitmap's resize, the fallback, decodes it whole first in Chromium 156).
 */
async function decodeSmall(blob: Blob, format: string, plan: Extract<DownscalePlan, { ok: true }>) {
  if (typeof ImageDecoder === 'undefined') {
    return createImageBitmap(blob, {
      imageOrientation: 'from-image',
      resizeWidth: plan.width,
      resizeHeight: plan.height,
      resizeQuality: 'high',
    });
  }
  const decoder = new ImageDecoder({
    data: blob.stream(),
    type: `image/${format}`,
    desiredWidth: plan.decodeWidth,
    desiredHeight: plan.decodeHeight,
  });
  try {
    return (await decoder.decode()).image;
  } finally {
    decoder.close();
  }
}

/** A smaller JPEG of a photo, or why not. */
async function shrink(blob: Blob, type: string): Promise<Shrunk> {
  try {
    const header = readImageHeader(new Uint8Array(await blob.slice(0, HEADER_BYTES).arrayBuffer()));
    const plan = planDownscale(type, header);
    if (!plan.ok) return { reason: plan.reason };
    const { width, height } = plan;
    const picture = await decodeSmall(blob, header?.format ?? 'jpeg', plan);
    const canvas = new OffscreenCanvas(width, height);
    const context = canvas.getContext('2d');
    if (!context) throw new Error('no 2D canvas');
    // JPEG has no transparency: a PNG's clear parts become white, not black.
    context.fillStyle = '#fff';
    context.fillRect(0, 0, width, height);
    context.imageSmoothingQuality = 'high';
    context.drawImage(picture, 0, 0, width, height);
    picture.close();
    const smaller = await canvas.convertToBlob({ type: 'image/jpeg', quality: DATA_SAVER_QUALITY });
    if (!worthSending(blob.size, smaller.size)) return { reason: tooLittleSaved() };
    return { smaller, originalWidth: plan.originalWidth, originalHeight: plan.originalHeight, width, height };
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return { reason: `This device could not redraw the picture (${why}): the original is sent.` };
  }
}

/** What Data saver made of a photo, as the record keeps it and the shore is told. */
function outcome(item: QueueItem, shrunk: Shrunk): DownscaleOutcome {
  if (!('smaller' in shrunk)) return { applied: false, reason: shrunk.reason };
  const { smaller: _bytes, ...sizes } = shrunk;
  return {
    applied: true,
    originalName: item.name,
    originalType: item.type,
    originalSize: item.size,
    ...sizes,
  };
}

/**
 * Checks one stored file and records the outcome: its hash (of the smaller copy when Data saver
 * made one), whether its content is `known` already, or why it could not be checked. Resolves to the
 * hash, or null when there is none.
 */
async function check(
  request: Extract<HashRequest, { known: string[] }>,
  progress: (hashed: number) => void,
): Promise<string | null> {
  const { itemId, picked, known } = request;
  const [item, stored] = await Promise.all([copies.get(itemId), copies.original(itemId)]);
  if (!item || !stored) throw new Error('The file is no longer stored on this device');
  // Some browsers store a Blob they cannot read back (WebKit bug 47700): found out now, not at sea.
  if (stored.size > 0) {
    const readable = await stored
      .slice(0, 1)
      .arrayBuffer()
      .then(
        () => true,
        () => false,
      );
    if (!readable) {
      await applyChange(copies, itemId, unreadableCopy(Date.now()));
      return null;
    }
  }
  const original = picked ?? stored;
  const dataSaver = item.dataSaver === true;
  let shrunk: Shrunk | undefined;
  let sha256: string;
  try {
    shrunk = dataSaver ? await shrink(original, item.type) : undefined;
    sha256 = await hashBlob(shrunk && 'smaller' in shrunk ? shrunk.smaller : original, progress);
  } catch (err) {
    await applyChange(
      copies,
      itemId,
      checkFailed(err instanceof Error ? err.message : String(err), Date.now()),
    );
    return null;
  }
  const smaller = shrunk && 'smaller' in shrunk ? shrunk.smaller : null;
  const as = {
    dataSaver,
    downscale: shrunk ? outcome(item, shrunk) : null,
    smallerSize: smaller?.size ?? null,
  };
  await copies.recordCheck(itemId, checked(sha256, known.includes(sha256), Date.now(), as), smaller);
  return sha256;
}

scope.onmessage = async (event) => {
  const { id } = event.data;
  let reported = 0;
  try {
    const request = event.data;
    if ('dataSaver' in request) {
      const now = Date.now();
      const change = chooseDataSaver(request.dataSaver, now + CHECKING_HOLD_MS, now);
      await copies.recordCheck(request.itemId, change, null);
      return scope.postMessage({ id, sha256: null });
    }
    const sha256 = await check(request, (hashed) => {
      if (hashed - reported < REPORT_EVERY) return;
      reported = hashed;
      scope.postMessage({ id, hashed });
    });
    scope.postMessage({ id, sha256 });
  } catch (err) {
    scope.postMessage({ id, error: err instanceof Error ? err.message : String(err) });
  }
};
