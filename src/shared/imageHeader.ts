/*
 * Reads a picture's size from the first bytes of its file, without decoding it: a 48 MP photo must
 * never be decoded at full size just to learn how small to make it. JPEG (with its EXIF
 * orientation), PNG and WebP; anything else is not read.
 */

/** What the start of a picture's file says about it. */
export interface ImageHeader {
  format: 'jpeg' | 'png' | 'webp';
  /** Pixel size as stored, before any EXIF orientation is applied. */
  width: number;
  height: number;
  /** EXIF orientation 1–8 (1 when absent); 5–8 turn the picture a quarter, swapping width and height. */
  orientation: number;
}

/** Bytes to read from the start of a file: enough for a JPEG's EXIF block (≤ 64 KiB) and what precedes its frame. */
export const HEADER_BYTES = 512 * 1024;

/** The picture's header from the first bytes of its file, or null when it is none of JPEG, PNG, WebP or is cut short. */
export function readImageHeader(bytes: Uint8Array): ImageHeader | null {
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return readJpeg(bytes);
  if (ascii(bytes, 1, 3) === 'PNG' && bytes[0] === 0x89) return readPng(bytes);
  if (ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WEBP') return readWebp(bytes);
  return null;
}

/** Width and height as the picture is shown, after its EXIF orientation. */
export function shownSize(header: ImageHeader): { width: number; height: number } {
  const turned = header.orientation >= 5 && header.orientation <= 8;
  return turned
    ? { width: header.height, height: header.width }
    : { width: header.width, height: header.height };
}

function readJpeg(b: Uint8Array): ImageHeader | null {
  let orientation = 1;
  let i = 2;
  while (i + 4 <= b.length) {
    if (b[i] !== 0xff) return null;
    const marker = b[i + 1] ?? 0;
    if (marker === 0xff) {
      i++; // fill byte
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      i += 2;
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) return null; // end of image or start of scan before any frame
    const length = be16(b, i + 2);
    if (length < 2) return null;
    const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isFrame) {
      if (i + 9 > b.length) return null;
      const height = be16(b, i + 5);
      const width = be16(b, i + 7);
      return width && height ? { format: 'jpeg', width, height, orientation } : null;
    }
    if (marker === 0xe1 && ascii(b, i + 4, 4) === 'Exif') {
      orientation = exifOrientation(b.subarray(i + 10, Math.min(b.length, i + 2 + length))) ?? orientation;
    }
    i += 2 + length;
  }
  return null;
}

/** Orientation (tag 0x0112) from a TIFF block, IFD0 only. */
function exifOrientation(t: Uint8Array): number | null {
  if (t.length < 8) return null;
  const little = t[0] === 0x49 && t[1] === 0x49;
  if (!little && !(t[0] === 0x4d && t[1] === 0x4d)) return null;
  const u16 = (at: number) => (little ? (t[at] ?? 0) | ((t[at + 1] ?? 0) << 8) : be16(t, at));
  const u32 = (at: number) => (little ? u16(at) + u16(at + 2) * 0x10000 : u16(at) * 0x10000 + u16(at + 2));
  const ifd = u32(4);
  if (ifd + 2 > t.length) return null;
  const count = u16(ifd);
  for (let n = 0; n < count; n++) {
    const entry = ifd + 2 + n * 12;
    if (entry + 12 > t.length) return null;
    if (u16(entry) === 0x0112) {
      const value = u16(entry + 8);
      return value >= 1 && value <= 8 ? value : null;
    }
  }
  return null;
}

function readPng(b: Uint8Array): ImageHeader | null {
  if (b.length < 24 || ascii(b, 12, 4) !== 'IHDR') return null;
  const width = be32(b, 16);
  const height = be32(b, 20);
  return width && height ? { format: 'png', width, height, orientation: 1 } : null;
}

function readWebp(b: Uint8Array): ImageHeader | null {
  const chunk = ascii(b, 12, 4);
  let width = 0;
  let height = 0;
  if (chunk === 'VP8X' && b.length >= 30) {
    width = le24(b, 24) + 1;
    height = le24(b, 27) + 1;
  } else if (chunk === 'VP8 ' && b.length >= 30 && b[23] === 0x9d && b[24] === 0x01 && b[25] === 0x2a) {
    width = le16(b, 26) & 0x3fff;
    height = le16(b, 28) & 0x3fff;
  } else if (chunk === 'VP8L' && b.length >= 25 && b[20] === 0x2f) {
    const bits = le16(b, 21) + le16(b, 23) * 0x10000;
    width = (bits & 0x3fff) + 1;
    height = ((bits >>> 14) & 0x3fff) + 1;
  }
  return width && height ? { format: 'webp', width, height, orientation: 1 } : null;
}

const be16 = (b: Uint8Array, at: number) => ((b[at] ?? 0) << 8) | (b[at + 1] ?? 0);
const be32 = (b: Uint8Array, at: number) => be16(b, at) * 0x10000 + be16(b, at + 2);
const le16 = (b: Uint8Array, at: number) => (b[at] ?? 0) | ((b[at + 1] ?? 0) << 8);
const le24 = (b: Uint8Array, at: number) => le16(b, at) | ((b[at + 2] ?? 0) << 16);
const ascii = (b: Uint8Array, at: number, length: number) =>
  String.fromCharCode(...b.subarray(at, Math.min(b.length, at + length)));
