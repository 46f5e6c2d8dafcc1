import path from 'node:path';

const MAX_SEGMENT_BYTES = 120;

/** A file or folder name safe on every common filesystem: no separators, controls, reserved characters or leading dots. */
export function safeSegment(name: string, fallback: string): string {
  let s = name
    .normalize('NFC')
    .replace(/[\p{Cc}\p{Cf}<>:"/\\|?*]/gu, '_')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^[.\s]+/, '')
    .replace(/[.\s]+$/, '');
  // Keep the extension when cutting a long name, so the operator's file manager still opens it.
  if (Buffer.byteLength(s) > MAX_SEGMENT_BYTES) {
    const ext = path.extname(s).slice(0, 16);
    let stem = s.slice(0, s.length - ext.length);
    while (Buffer.byteLength(stem + ext) > MAX_SEGMENT_BYTES) stem = stem.slice(0, -1);
    s = stem + ext;
  }
  return s || fallback;
}

/**
 * Where a completed upload is filed, relative to the data directory:
 * `uploads/<YYYY>/<MM>/<device name>/<id>-<file name>` (UTC month of receipt).
 */
export function recordPath(opts: {
  id: string;
  fileName: string;
  deviceName: string;
  receivedAt: string;
}): string {
  const year = opts.receivedAt.slice(0, 4);
  const month = opts.receivedAt.slice(5, 7);
  const device = safeSegment(opts.deviceName, 'unknown-device');
  const file = `${opts.id}-${safeSegment(opts.fileName, 'file')}`;
  return path.posix.join('uploads', year, month, device, file);
}
