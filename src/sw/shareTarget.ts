import type { IdbQueueStore } from '../shared/db/IdbQueueStore.ts';
import { type NewFile, newQueueItem } from '../shared/types.ts';

/** Path the manifest's share_target posts to. */
export const SHARE_PATH = '/share';

/**
 * Takes files shared from the gallery or another app (Web Share Target, Chromium on Android and
 * desktop), queues them like picked files, and sends the user to the queue. The POST never reaches
 * the server: the worker answers it, so sharing works offline too.
 */
export async function receiveShare(request: Request, store: IdbQueueStore): Promise<Response> {
  let count = 0;
  try {
    const form = await request.formData();
    const files = form.getAll('files').filter((f): f is File => f instanceof File);
    const now = Date.now();
    const added: NewFile<Blob>[] = [];
    for (const file of files) {
      // Hashed later by the page this answer opens: a 1 GB video must not hold the share sheet.
      const item = newQueueItem(
        { id: crypto.randomUUID(), blob: file, name: file.name, type: file.type, sha256: null },
        now,
      );
      added.push({ item, blob: file });
    }
    await store.add(added);
    count = added.length;
  } catch (error) {
    console.error('[tender] shared files could not be queued', error);
    return Response.redirect(`/?share-failed=1`, 303);
  }
  return Response.redirect(`/?shared=${count}`, 303);
}
