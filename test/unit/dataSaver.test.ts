import { describe, expect, it } from 'vitest';
import {
  awaitsDownscale,
  dataSaverEditable,
  downscaleMetadata,
  planDownscale,
  smallerName,
  worthSending,
} from '../../src/shared/dataSaver.ts';
import { drainQueue, pickNext, type Uploader } from '../../src/shared/engine.ts';
import type { ImageHeader } from '../../src/shared/imageHeader.ts';
import { checked, checkFailed, chooseDataSaver } from '../../src/shared/transitions.ts';
import {
  type BlobLike,
  type DownscaleOutcome,
  newQueueItem,
  type QueueItem,
} from '../../src/shared/types.ts';
import { MemoryQueueStore, VirtualClock } from './fakes.ts';

describe('which files Data saver makes smaller, and to what size', () => {
  const header = (width: number, height: number, orientation = 1): ImageHeader => ({
    format: 'jpeg',
    width,
    height,
    orientation,
  });
  const table: [string, string, ImageHeader | null, string][] = [
    [
      '48 MP landscape photo',
      'image/jpeg',
      header(8000, 6000),
      'ok 2048×1536 from 8000×6000, decoded 3000×2250',
    ],
    [
      '48 MP photo held upright (EXIF 6)',
      'image/jpeg',
      header(8000, 6000, 6),
      'ok 1536×2048 from 6000×8000, decoded 3000×2250',
    ],
    [
      'EXIF 3 (upside down) keeps its shape',
      'image/jpeg',
      header(6000, 4000, 3),
      'ok 2048×1365 from 6000×4000, decoded 2250×1500',
    ],
    [
      'exactly four times the target',
      'image/jpeg',
      header(8192, 6144),
      'ok 2048×1536 from 8192×6144, decoded 2048×1536',
    ],
    ['panorama', 'image/jpeg', header(16000, 3000), 'ok 2048×384 from 16000×3000, decoded 4000×750'],
    ['one pixel past the limit', 'image/png', header(2049, 10), 'ok 2048×10 from 2049×10, decoded 2049×10'],
    [
      'a long thin strip keeps a pixel',
      'image/webp',
      header(100_000, 10),
      'ok 2048×1 from 100000×10, decoded 12500×2',
    ],
    ['exactly at the limit', 'image/jpeg', header(2048, 1536), 'Already small (2048 × 1536): sent as it is.'],
    ['a screenshot', 'image/png', header(1170, 2532, 1), 'ok 946×2048 from 1170×2532, decoded 1024×2216'],
    ['small picture', 'image/jpeg', header(1600, 1200), 'Already small (1600 × 1200): sent as it is.'],
    ['HEIC', 'image/heic', null, 'HEIC photos are sent as they are: this browser cannot redraw them.'],
    ['HEIF', 'image/heif', null, 'HEIC photos are sent as they are: this browser cannot redraw them.'],
    ['GIF', 'image/gif', null, 'Only JPEG, PNG and WebP pictures are made smaller: sent as it is.'],
    ['PDF', 'application/pdf', null, 'Not a picture: sent as it is.'],
    ['video', 'video/mp4', header(3840, 2160), 'Not a picture: sent as it is.'],
  ];
  it.each(table)('%s', (_name, type, h, expected) => {
    const plan = planDownscale(type, h);
    const got = plan.ok
      ? `ok ${plan.width}×${plan.height} from ${plan.originalWidth}×${plan.originalHeight}, decoded ${plan.decodeWidth}×${plan.decodeHeight}`
      : plan.reason;
    expect(got).toBe(expected);
  });

  it('takes another longest edge', () => {
    expect(planDownscale('image/jpeg', header(4000, 3000), 1000)).toMatchObject({ width: 1000, height: 750 });
  });
});

describe('the smaller copy is sent only when it saves enough', () => {
  it.each([
    ['12.1 MB to 1.4 MB', 12_100_000, 1_400_000, true],
    ['saves exactly 20%', 1_000_000, 800_000, true],
    ['saves 19.9%', 1_000_000, 801_000, false],
    ['larger than the original', 500_000, 600_000, false],
    ['empty result', 1_000_000, 0, false],
  ] as [string, number, number, boolean][])('%s', (_name, original, smaller, expected) => {
    expect(worthSending(original, smaller)).toBe(expected);
  });
});

describe("the smaller copy's name", () => {
  it.each([
    ['IMG_0001.JPG', 'IMG_0001.JPG'],
    ['gauge.jpeg', 'gauge.jpeg'],
    ['screen.png', 'screen.jpg'],
    ['chart.v2.webp', 'chart.v2.jpg'],
    ['noextension', 'noextension.jpg'],
    ['.png', '.png.jpg'],
  ])('%s → %s', (name, expected) => {
    expect(smallerName(name)).toBe(expected);
  });
});

const NOW = 1_000_000;
const photo = newQueueItem(
  {
    id: 'p',
    blob: new Blob([new Uint8Array(100)], { type: 'image/png' }),
    name: 'pump.png',
    dataSaver: true,
  },
  NOW - 5_000,
);
const item = (over: Partial<QueueItem>): QueueItem => ({ ...photo, ...over });
const checking = item({ waitReason: 'checking', notBefore: NOW + 10_000 });
const made: DownscaleOutcome = {
  applied: true,
  originalName: 'pump.png',
  originalType: 'image/png',
  originalSize: 100,
  originalWidth: 8000,
  originalHeight: 6000,
  width: 2048,
  height: 1536,
};
const shrunk = item({ name: 'pump.jpg', type: 'image/jpeg', size: 30, downscale: made, sha256: 'ab' });

describe('what a check with Data saver records', () => {
  const as = { dataSaver: true, downscale: made, smallerSize: 30 };
  it('a smaller copy becomes what the file sends, the original kept for shore', () => {
    expect(checked('ab', false, NOW, as)(checking)).toMatchObject({
      sha256: 'ab',
      name: 'pump.jpg',
      type: 'image/jpeg',
      size: 30,
      downscale: made,
      waitReason: 'queued',
    });
  });
  it('a picture left as it is says why and keeps its own name and size', () => {
    const left: DownscaleOutcome = { applied: false, reason: 'Already small (10 × 10): sent as it is.' };
    const patch = checked('ab', false, NOW, { dataSaver: true, downscale: left, smallerSize: null })(
      checking,
    );
    expect(patch).toMatchObject({ sha256: 'ab', downscale: left });
    expect(patch).not.toHaveProperty('size');
    expect(patch).not.toHaveProperty('name');
  });
  it('a check made before the crew changed their choice is thrown away', () => {
    expect(checked('ab', false, NOW, as)(item({ ...checking, dataSaver: false }))).toBeNull();
    expect(
      checked('ab', false, NOW, { dataSaver: false, downscale: null, smallerSize: null })(checking),
    ).toBeNull();
  });
});

describe('a check that failed', () => {
  it('lets a Data saver photo go as it is, and says why, rather than wait for a copy that will not come', () => {
    const patch = checkFailed('read error', NOW)(checking);
    expect(patch).toMatchObject({
      waitReason: 'queued',
      notBefore: null,
      downscale: { applied: false, reason: 'Not checked (read error): sent as it is.' },
    });
    expect(awaitsDownscale({ ...checking, ...patch })).toBe(false);
  });
  it('lets any other file go unhashed, with nothing to say about Data saver', () => {
    expect(checkFailed('read error', NOW)({ ...checking, dataSaver: false })).not.toHaveProperty('downscale');
  });
  it('leaves a file no longer being checked alone', () => {
    expect(checkFailed('read error', NOW)(item({ status: 'paused', waitReason: null }))).toBeNull();
  });
});

describe('switching a file between its original and Data saver', () => {
  const table: [string, boolean, QueueItem, Partial<QueueItem> | null][] = [
    [
      'back to the original: its name, type and size return, and it is checked again',
      false,
      shrunk,
      {
        dataSaver: false,
        downscale: null,
        sha256: null,
        name: 'pump.png',
        type: 'image/png',
        size: 100,
        waitReason: 'checking',
        notBefore: NOW + 15_000,
      },
    ],
    [
      'an original switched to Data saver is checked again',
      true,
      item({ dataSaver: false, sha256: 'cd' }),
      { dataSaver: true, sha256: null, waitReason: 'checking' },
    ],
    [
      'a copy paused as a duplicate waits to be checked again',
      false,
      item({ ...shrunk, status: 'paused', waitReason: 'duplicate', waitingSince: null }),
      { status: 'waiting', waitReason: 'checking', waitingSince: NOW, name: 'pump.png' },
    ],
    [
      'a file the crew paused stays paused',
      false,
      item({ ...shrunk, status: 'paused', waitReason: null }),
      { status: undefined, dataSaver: false, name: 'pump.png' } as Partial<QueueItem>,
    ],
    ['the same choice again changes nothing', true, shrunk, null],
    ['once a byte was sent', false, item({ ...shrunk, bytesSent: 1 }), null],
    ['once its upload was created', false, item({ ...shrunk, uploadUrl: 'http://x/files/1' }), null],
    ['while uploading', false, item({ ...shrunk, status: 'uploading' }), null],
    ['once uploaded', false, item({ ...shrunk, status: 'uploaded' }), null],
    ['a PDF has no Data saver', true, item({ dataSaver: false, type: 'application/pdf' }), null],
  ];
  it.each(table)('%s', (_name, on, from, expected) => {
    const patch = chooseDataSaver(on, NOW + 15_000, NOW)(from);
    if (expected === null) return expect(patch).toBeNull();
    expect(patch).toMatchObject(
      Object.fromEntries(Object.entries(expected).filter(([, v]) => v !== undefined)),
    );
    if ('status' in expected && expected.status === undefined) expect(patch).not.toHaveProperty('status');
  });
});

describe('a Data saver photo no page has made smaller is not sent', () => {
  it('the engine skips it and takes the next file, then sends it once made smaller', () => {
    const waiting = item({ notBefore: null, waitReason: 'queued', priority: 9 });
    const pdf = newQueueItem({ id: 'd', blob: new Blob(['%PDF']), name: 'cert.pdf' }, NOW);
    expect(awaitsDownscale(waiting)).toBe(true);
    expect(pickNext([waiting, pdf], NOW)?.id).toBe('d');
    expect(pickNext([waiting], NOW)).toBeNull();
    expect(pickNext([{ ...shrunk, waitReason: 'queued', notBefore: null }, pdf], NOW)?.id).toBe('p');
    const leftAsIs = { ...waiting, downscale: { applied: false as const, reason: 'x' } };
    expect(pickNext([leftAsIs, pdf], NOW)?.id).toBe('p');
  });
  it('a run leaves it for the page, counting it as no work it could do (no run asked again at once)', async () => {
    const clock = new VirtualClock(NOW);
    const store = new MemoryQueueStore([item({ notBefore: NOW + 15_000, waitReason: 'checking' })]);
    const sent: string[] = [];
    const uploader: Uploader<BlobLike> = {
      async upload(queued) {
        sent.push(queued.id);
      },
    };
    const out = await drainQueue({ store, uploader, clock });
    expect(out).toMatchObject({ stoppedBecause: 'empty', uploaded: 0, remaining: 0 });
    expect(sent).toEqual([]);
    expect(clock.now()).toBe(NOW);
  });
  it('a file already started is never held back', () => {
    expect(awaitsDownscale(item({ uploadUrl: 'http://x/files/1' }))).toBe(false);
    expect(awaitsDownscale(item({ dataSaver: false }))).toBe(false);
  });
});

describe('what the shore is told', () => {
  it('the original of a smaller copy', () => {
    expect(downscaleMetadata(shrunk)).toEqual({
      dataSaver: 'downscaled',
      originalName: 'pump.png',
      originalType: 'image/png',
      originalSize: '100',
      originalWidth: '8000',
      originalHeight: '6000',
      width: '2048',
      height: '1536',
    });
  });
  it('nothing when the original is sent', () => {
    expect(downscaleMetadata(item({ downscale: { applied: false, reason: 'x' } }))).toEqual({});
    expect(downscaleMetadata(item({ dataSaver: false }))).toEqual({});
  });
  it('the choice is offered for pictures not yet sent', () => {
    expect(dataSaverEditable(photo)).toBe(true);
    expect(dataSaverEditable(shrunk)).toBe(true);
    expect(dataSaverEditable(item({ type: 'video/mp4' }))).toBe(false);
  });
});
