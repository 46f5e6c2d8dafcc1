import { Queue } from 'workbox-background-sync';

/**
 * tus DELETEs for uploads the user removed for good. They may be asked for offline, so they wait in
 * Workbox's request queue and are replayed when the link returns. Workbox's default replay counts any
 * answer as success (workbox #2599); this one keeps a request only on a network error or a 5xx.
 */
const terminations = new Queue('tender-terminations', {
  maxRetentionTime: 7 * 24 * 60,
  async onSync({ queue }) {
    for (let entry = await queue.shiftRequest(); entry; entry = await queue.shiftRequest()) {
      try {
        const res = await fetch(entry.request.clone());
        if (res.status >= 500) throw new Error(`server answered ${res.status}`);
      } catch (error) {
        await queue.unshiftRequest(entry);
        throw error;
      }
    }
  },
});

/** Ends an upload on the server (tus termination), now or when the link returns. */
export async function terminateUpload(uploadUrl: string, headers: Record<string, string>): Promise<void> {
  const request = new Request(uploadUrl, {
    method: 'DELETE',
    headers: { 'Tus-Resumable': '1.0.0', ...headers },
  });
  try {
    const res = await fetch(request.clone());
    if (res.status < 500) return;
  } catch {
    // Offline: queue it below.
  }
  await terminations.pushRequest({ request });
}
