import { DATA_SAVER_LONG_EDGE, DATA_SAVER_MIN_SAVING } from './config.ts';
import { type ImageHeader, shownSize } from './imageHeader.ts';
import type { QueueItem } from './types.ts';

/*
 * Data saver: a photo chosen for it is sent as a smaller JPEG (longest edge DATA_SAVER_LONG_EDGE),
 * made on this device before the first byte goes. This file decides which files qualify, how small,
 * and whether the smaller copy is worth sending; the hash worker does the drawing.
 */

/**
 * How to make a picture smaller, or why it is sent as it is: the size to draw it at (as shown), and
 * the size to ask the decoder for (as stored): the smallest eighth of the original, as JPEG decoders
 * scale while decoding, that is not smaller than the target, so the picture is only ever drawn down.
 */
export type DownscalePlan =
  | {
      ok: true;
      width: number;
      height: number;
      originalWidth: number;
      originalHeight: number;
      decodeWidth: number;
      decodeHeight: number;
    }
  | { ok: false; reason: string };

const HEIC = /^image\/hei[cf](-sequence)?$/;

/**
 * The size to draw a picture at, from its media type and the header of its file (null when the file
 * is not a JPEG, PNG or WebP picture, or could not be read).
 */
export function planDownscale(
  type: string,
  header: ImageHeader | null,
  longEdge: number = DATA_SAVER_LONG_EDGE,
): DownscalePlan {
  if (!type.startsWith('image/')) return { ok: false, reason: 'Not a picture: sent as it is.' };
  if (HEIC.test(type)) {
    return { ok: false, reason: 'HEIC photos are sent as they are: this browser cannot redraw them.' };
  }
  if (!header) {
    return { ok: false, reason: 'Only JPEG, PNG and WebP pictures are made smaller: sent as it is.' };
  }
  const { width, height } = shownSize(header);
  const longest = Math.max(width, height);
  if (longest <= longEdge) {
    return { ok: false, reason: `Already small (${width} × ${height}): sent as it is.` };
  }
  const scale = longEdge / longest;
  const eighths = Math.ceil(scale * 8);
  return {
    ok: true,
    width: Math.max(1, Math.round(width * scale)),
    height: Math.max(1, Math.round(height * scale)),
    originalWidth: width,
    originalHeight: height,
    decodeWidth: Math.ceil((header.width * eighths) / 8),
    decodeHeight: Math.ceil((header.height * eighths) / 8),
  };
}

/** True when the smaller copy saves enough of the original's bytes to be sent instead of it. */
export function worthSending(
  originalSize: number,
  smallerSize: number,
  minSaving: number = DATA_SAVER_MIN_SAVING,
): boolean {
  return smallerSize > 0 && smallerSize <= originalSize * (1 - minSaving);
}

/** Why the original is sent when the smaller copy saves too little, in words for the row. */
export const tooLittleSaved = (minSaving: number = DATA_SAVER_MIN_SAVING) =>
  `A smaller copy saved under ${Math.round(minSaving * 100)}%: the original is sent.`;

/** The smaller copy's file name: a JPEG keeps its name, other pictures get `.jpg` for their new content. */
export function smallerName(name: string): string {
  if (/\.jpe?g$/i.test(name)) return name;
  const dot = name.lastIndexOf('.');
  return `${dot > 0 ? name.slice(0, dot) : name}.jpg`;
}

/**
 * A file chosen for Data saver that no page has made smaller yet: it must not be sent as it is (its
 * original's bytes are what the crew chose not to pay for), so it waits for a page to check it.
 */
export function awaitsDownscale(item: Readonly<QueueItem>): boolean {
  return item.dataSaver === true && !item.downscale && item.uploadUrl === null && item.bytesSent === 0;
}

/** Whether a file's Data saver choice can still change: only before any byte of it was sent. */
export function dataSaverEditable(item: Readonly<QueueItem>): boolean {
  return (
    item.uploadUrl === null &&
    item.bytesSent === 0 &&
    (item.status === 'waiting' || item.status === 'paused') &&
    (item.type.startsWith('image/') || item.downscale?.applied === true)
  );
}

/** The tus metadata that tells the shore what the original was, when a smaller copy is sent. */
export function downscaleMetadata(item: Readonly<QueueItem>): Record<string, string> {
  const d = item.downscale;
  if (!d?.applied) return {};
  return {
    dataSaver: 'downscaled',
    originalName: d.originalName,
    originalType: d.originalType,
    originalSize: String(d.originalSize),
    originalWidth: String(d.originalWidth),
    originalHeight: String(d.originalHeight),
    width: String(d.width),
    height: String(d.height),
  };
}
