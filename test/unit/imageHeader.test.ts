import { describe, expect, it } from 'vitest';
import { type ImageHeader, readImageHeader } from '../../src/shared/imageHeader.ts';

// The first bytes of pictures as cameras and browsers write them, built here byte by byte.
const be16 = (n: number) => [n >> 8, n & 255];
const le16 = (n: number) => [n & 255, n >> 8];
const le24 = (n: number) => [n & 255, (n >> 8) & 255, n >> 16];
const be32 = (n: number) => [...be16(n >>> 16), ...be16(n & 0xffff)];
const text = (s: string) => [...s].map((c) => c.charCodeAt(0));
const segment = (marker: number, body: number[]) => [0xff, marker, ...be16(body.length + 2), ...body];

/** An EXIF block with one IFD0 entry, Orientation, in either byte order. */
function exif(orientation: number, little: boolean): number[] {
  const u16 = little ? le16 : be16;
  const u32 = (n: number) => (little ? [...le16(n & 0xffff), ...le16(n >>> 16)] : be32(n));
  const tiff = [...text(little ? 'II' : 'MM'), ...u16(42), ...u32(8), ...u16(1)];
  tiff.push(...u16(0x0112), ...u16(3), ...u32(1), ...u16(orientation), 0, 0, ...u32(0));
  return segment(0xe1, [...text('Exif'), 0, 0, ...tiff]);
}

/** A JPEG's start: APP segments, then its frame header (SOF0 unless `sof` says otherwise). */
function jpeg(width: number, height: number, before: number[] = [], sof = 0xc0): Uint8Array {
  const frame = segment(sof, [8, ...be16(height), ...be16(width), 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
  return new Uint8Array([0xff, 0xd8, ...before, ...frame, 0xff, 0xda, 0, 2]);
}
const png = (width: number, height: number) =>
  new Uint8Array([
    0x89,
    ...text('PNG'),
    13,
    10,
    26,
    10,
    0,
    0,
    0,
    13,
    ...text('IHDR'),
    ...be32(width),
    ...be32(height),
    8,
    2,
    0,
    0,
    0,
  ]);
const riff = (chunk: string, body: number[]) =>
  new Uint8Array([
    ...text('RIFF'),
    0,
    0,
    0,
    0,
    ...text('WEBP'),
    ...text(chunk),
    ...le16(body.length),
    0,
    0,
    ...body,
  ]);
const webpLossy = (w: number, h: number) => riff('VP8 ', [0, 0, 0, 0x9d, 0x01, 0x2a, ...le16(w), ...le16(h)]);
const webpLossless = (w: number, h: number) => {
  const bits = (w - 1) | ((h - 1) << 14);
  return riff('VP8L', [0x2f, bits & 255, (bits >> 8) & 255, (bits >> 16) & 255, (bits >>> 24) & 255]);
};
const webpExtended = (w: number, h: number) => riff('VP8X', [0, 0, 0, 0, ...le24(w - 1), ...le24(h - 1)]);

describe("a picture's size, read from the start of its file", () => {
  const table: [string, Uint8Array, ImageHeader | null][] = [
    ['JPEG, no EXIF', jpeg(8000, 6000), { format: 'jpeg', width: 8000, height: 6000, orientation: 1 }],
    [
      'phone JPEG held sideways (EXIF 6, Motorola order)',
      jpeg(8000, 6000, exif(6, false)),
      { format: 'jpeg', width: 8000, height: 6000, orientation: 6 },
    ],
    [
      'EXIF 8 in Intel order, after a JFIF segment',
      jpeg(4000, 3000, [...segment(0xe0, text('JFIF\0')), ...exif(8, true)]),
      { format: 'jpeg', width: 4000, height: 3000, orientation: 8 },
    ],
    [
      'progressive JPEG with a 60 KB block before its frame',
      jpeg(6000, 4000, segment(0xe2, new Array(60_000).fill(7)), 0xc2),
      { format: 'jpeg', width: 6000, height: 4000, orientation: 1 },
    ],
    [
      'an orientation out of range is ignored',
      jpeg(10, 20, exif(9, true)),
      { format: 'jpeg', width: 10, height: 20, orientation: 1 },
    ],
    ['a JPEG cut before its frame', jpeg(8000, 6000).subarray(0, 4), null],
    ['PNG', png(7000, 5000), { format: 'png', width: 7000, height: 5000, orientation: 1 }],
    ['lossy WebP', webpLossy(5000, 3000), { format: 'webp', width: 5000, height: 3000, orientation: 1 }],
    [
      'lossless WebP',
      webpLossless(4097, 3001),
      { format: 'webp', width: 4097, height: 3001, orientation: 1 },
    ],
    ['extended WebP', webpExtended(9000, 100), { format: 'webp', width: 9000, height: 100, orientation: 1 }],
    ['HEIC (an ISO box, not read)', new Uint8Array([0, 0, 0, 24, ...text('ftypheic')]), null],
    ['a PDF', new Uint8Array(text('%PDF-1.7')), null],
    ['nothing', new Uint8Array(0), null],
  ];
  it.each(table)('%s', (_name, bytes, expected) => {
    expect(readImageHeader(bytes)).toEqual(expected);
  });
});
