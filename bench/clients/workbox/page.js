// The page of the Workbox baseline: registers the worker and hands it the chosen file with the
// device's token (from `#token=`). What the worker reports is kept in `window.benchStatus`.
const token = new URLSearchParams(location.hash.slice(1)).get('token') ?? '';
const status = { ready: false, events: [] };
window.benchStatus = status;

navigator.serviceWorker.addEventListener('message', (event) => {
  status.events.push({ at: Date.now(), ...event.data });
  document.querySelector('[role=status]').textContent = JSON.stringify(event.data);
});
navigator.serviceWorker.register('/workbox-sw.js').then(async () => {
  await navigator.serviceWorker.ready;
  if (!navigator.serviceWorker.controller) {
    await new Promise((resolve) => navigator.serviceWorker.addEventListener('controllerchange', resolve));
  }
  status.ready = true;
});

document.querySelector('input[type=file]').addEventListener('change', (event) => {
  const [file] = event.target.files;
  if (file) navigator.serviceWorker.controller?.postMessage({ type: 'upload', file, token });
});
