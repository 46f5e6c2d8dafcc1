// Draws the app icons (a tender's bow wave on a navy disc) as PNGs with no image library.
// Run once after changing the design: node scripts/icons.mjs
import { mkdirSync, writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (buf) => {
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
const chunk = (type, data) => {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
};

function png(size, pixel) {
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0;
    for (let x = 0; x < size; x++) {
      const [r, g, b, a] = pixel(x / size, y / size);
      raw.set([r, g, b, a], y * (size * 4 + 1) + 1 + x * 4);
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr.set([8, 6, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const NAVY = [11, 57, 84, 255];
const FOAM = [244, 247, 249, 255];
const SKY = [127, 200, 248, 255];
const CLEAR = [0, 0, 0, 0];

// u, v in [0,1); `inset` shrinks the drawing into the maskable safe zone.
const design = (full, inset) => (u, v) => {
  const x = (u - 0.5) / inset + 0.5;
  const y = (v - 0.5) / inset + 0.5;
  const d = Math.hypot(u - 0.5, v - 0.5);
  if (!full && d > 0.5) return CLEAR;
  const wave = 0.62 + 0.06 * Math.sin(x * Math.PI * 3);
  if (y > wave && y < wave + 0.07 && x > 0.15 && x < 0.85) return FOAM;
  const hull = y > 0.42 && y < 0.56 && x > 0.25 + (y - 0.42) * 0.8 && x < 0.8 - (y - 0.42) * 1.5;
  if (hull) return SKY;
  return NAVY;
};

mkdirSync('public/icons', { recursive: true });
writeFileSync('public/icons/icon-192.png', png(192, design(false, 1)));
writeFileSync('public/icons/icon-512.png', png(512, design(false, 1)));
writeFileSync('public/icons/icon-maskable-512.png', png(512, design(true, 0.8)));
