// The tus-js-client baseline: its browser build with its default options (one PATCH for the whole
// file, retries after 0, 1, 3 and 5 s), the device's token (from `#token=`) and the file's name and
// type as metadata. What happens is kept in `window.benchStatus`.
const token = new URLSearchParams(location.hash.slice(1)).get('token') ?? '';
const status = { ready: true, state: 'idle', sentBytes: 0, error: null, endedAt: null };
window.benchStatus = status;
const show = () => {
  document.querySelector('[role=status]').textContent = `${status.state} ${status.sentBytes}`;
};

document.querySelector('input[type=file]').addEventListener('change', (event) => {
  const [file] = event.target.files;
  if (!file) return;
  const upload = new window.tus.Upload(file, {
    endpoint: new URL('/files/', location.origin).href,
    headers: { Authorization: `Bearer ${token}` },
    metadata: { filename: file.name, filetype: file.type },
    onProgress(sent) {
      status.sentBytes = sent;
      show();
    },
    onSuccess() {
      status.state = 'done';
      status.endedAt = Date.now();
      show();
    },
    onError(error) {
      status.state = 'error';
      status.error = String(error);
      status.endedAt = Date.now();
      show();
    },
  });
  status.state = 'uploading';
  upload.start();
});
