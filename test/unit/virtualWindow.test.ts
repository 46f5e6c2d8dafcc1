import { describe, expect, it } from 'vitest';
import { rowAt, rowTop, virtualWindow, type WindowInput } from '../../src/shared/virtualWindow.ts';

const base: WindowInput = { count: 5000, rowHeight: 100, scrollTop: 0, viewportHeight: 700, overscan: 3 };

describe('the rows in the DOM', () => {
  const table: [
    string,
    Partial<WindowInput>,
    { start: number; end: number; padTop: number; padBottom: number },
  ][] = [
    ['top of the list', {}, { start: 0, end: 10, padTop: 0, padBottom: 499_000 }],
    ['list below the fold', { scrollTop: -400 }, { start: 0, end: 6, padTop: 0, padBottom: 499_400 }],
    ['list far below the fold', { scrollTop: -5000 }, { start: 0, end: 4, padTop: 0, padBottom: 499_600 }],
    [
      'scrolled into the middle',
      { scrollTop: 123_450 },
      { start: 1231, end: 1245, padTop: 123_100, padBottom: 375_500 },
    ],
    ['at the end', { scrollTop: 499_300 }, { start: 4990, end: 5000, padTop: 499_000, padBottom: 0 }],
    ['past the end', { scrollTop: 600_000 }, { start: 4996, end: 5000, padTop: 499_600, padBottom: 0 }],
    ['no overscan', { scrollTop: 250, overscan: 0 }, { start: 2, end: 10, padTop: 200, padBottom: 499_000 }],
    ['fewer rows than fit', { count: 3 }, { start: 0, end: 3, padTop: 0, padBottom: 0 }],
    ['empty', { count: 0 }, { start: 0, end: 0, padTop: 0, padBottom: 0 }],
    [
      'short enough to render whole',
      { count: 50, scrollTop: 2000, renderAllUpTo: 50 },
      { start: 0, end: 50, padTop: 0, padBottom: 0 },
    ],
    [
      'one row too long to render whole',
      { count: 51, scrollTop: 2000, renderAllUpTo: 50 },
      { start: 17, end: 30, padTop: 1700, padBottom: 2100 },
    ],
    [
      'an opened row above the view',
      { scrollTop: 10_300, open: { index: 10, extra: 300 } },
      { start: 97, end: 110, padTop: 10_000, padBottom: 489_000 },
    ],
    [
      'the opened row in view',
      { scrollTop: 1_050, open: { index: 10, extra: 300 } },
      { start: 7, end: 18, padTop: 700, padBottom: 498_200 },
    ],
    [
      'an opened row below the view',
      { open: { index: 100, extra: 300 } },
      { start: 0, end: 10, padTop: 0, padBottom: 499_300 },
    ],
    [
      'an opened row that is gone',
      { count: 50, open: { index: 80, extra: 300 } },
      { start: 0, end: 10, padTop: 0, padBottom: 4_000 },
    ],
  ];
  it.each(table)('%s', (_, patch, expected) => {
    const range = virtualWindow({ ...base, ...patch });
    expect(range).toMatchObject(expected);
    // What is rendered plus the space around it is always the whole list.
    const open = patch.open && patch.open.index < (patch.count ?? base.count) ? patch.open : null;
    const rendered = rowTop(range.end, base.rowHeight, open) - rowTop(range.start, base.rowHeight, open);
    expect(range.padTop + rendered + range.padBottom).toBe(range.total);
  });

  it('keeps a 5,000-row window small wherever it is scrolled', () => {
    for (let top = -1000; top < 510_000; top += 7_919) {
      const { start, end } = virtualWindow({ ...base, scrollTop: top });
      expect(end - start).toBeLessThanOrEqual(7 + 1 + 2 * base.overscan);
      expect(start).toBeGreaterThanOrEqual(0);
      expect(end).toBeLessThanOrEqual(base.count);
    }
  });
});

describe('row positions around an opened row', () => {
  const open = { index: 5, extra: 250 };
  const table: [number, number][] = [
    [0, 0],
    [99, 0],
    [500, 5],
    [849, 5],
    [850, 6],
    [949, 6],
    [950, 7],
    [-50, 0],
    [1e9, 19],
  ];
  it.each(table)('offset %i is row %i', (y, index) => {
    expect(rowAt(y, 20, 100, open)).toBe(index);
  });
  it('rows after the opened one move down by its extra height', () => {
    expect([rowTop(5, 100, open), rowTop(6, 100, open), rowTop(20, 100, open)]).toEqual([500, 850, 2250]);
  });
});
