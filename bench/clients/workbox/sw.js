// The Workbox baseline's worker: sends the whole file in one tus creation-with-upload request and,
// when that fails on the network, leaves it to a workbox-background-sync Queue, which stores the
// request and replays it from the first byte on the next Background Sync event, as Workbox does.
import { Queue } from 'workbox-background-sync';

const queue = new Queue('tender-bench-uploads');

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));
self.addEventListener('message', (event) => {
  if (event.data?.type === 'upload') event.waitUntil(upload(event.data.file, event.data.token));
});

/** tus metadata values are base64 of UTF-8. */
const base64 = (text) => btoa(String.fromCharCode(...new TextEncoder().encode(text)));

async function upload(file, token) {
  const request = new Request(new URL('/files/', self.location.origin), {
    method: 'POST',
    headers: {
      'Tus-Resumable': '1.0.0',
      'Upload-Length': String(file.size),
      'Upload-Metadata': `filename ${base64(file.name)},filetype ${base64(file.type)}`,
      'Content-Type': 'application/offset+octet-stream',
      Authorization: `Bearer ${token}`,
    },
    body: file,
  });
  try {
    const response = await fetch(request.clone());
    await tell({ type: 'answered', status: response.status });
  } catch (error) {
    await tell({ type: 'queued', error: String(error) });
    await queue.pushRequest({ request });
  }
}

async function tell(message) {
  for (const client of await self.clients.matchAll({ type: 'window' })) client.postMessage(message);
}
