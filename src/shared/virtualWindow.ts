/**
 * Which rows of a long list to put in the DOM: rows of one fixed height, of which at most one is
 * opened and taller by `extra`. Pure arithmetic; the page measures and scrolls.
 */

/** One opened row and how much taller than the others it is. */
export interface OpenRow {
  index: number;
  extra: number;
}

export interface WindowInput {
  count: number;
  /** Height of a closed row, in px (> 0). */
  rowHeight: number;
  /** Top of the visible area, measured from the top of the list; negative while the list starts below it. */
  scrollTop: number;
  viewportHeight: number;
  /** Rows kept in the DOM above and below the visible ones, so a fast scroll or Tab lands on a row. */
  overscan: number;
  open?: OpenRow | null;
  /**
   * Lists of up to this many rows are rendered whole: cheap, and find-in-page and screen readers
   * then see every file. Default 0.
   */
  renderAllUpTo?: number;
}

/** The rows to render, [start, end), and the space to leave above and below them. */
export interface WindowRange {
  start: number;
  end: number;
  padTop: number;
  padBottom: number;
  /** Height of the whole list. */
  total: number;
}

/** An opened row that is in the list, with a sane extra height; else null. */
function openIn(count: number, open: OpenRow | null | undefined): OpenRow | null {
  if (!open || open.index < 0 || open.index >= count) return null;
  return { index: open.index, extra: Math.max(0, open.extra) };
}

/** Top of row `index` (0 ≤ index ≤ count; `count` gives the list's end). */
export function rowTop(index: number, rowHeight: number, open: OpenRow | null): number {
  return index * rowHeight + (open && index > open.index ? open.extra : 0);
}

/** The row at offset `y` from the top of the list, clamped to the rows there are. */
export function rowAt(y: number, count: number, rowHeight: number, open: OpenRow | null): number {
  if (count <= 0) return 0;
  let index: number;
  if (open && y >= rowTop(open.index + 1, rowHeight, open)) index = Math.floor((y - open.extra) / rowHeight);
  else if (open && y >= rowTop(open.index, rowHeight, open)) index = open.index;
  else index = Math.floor(y / rowHeight);
  return Math.min(count - 1, Math.max(0, index));
}

/** The rows that cover the visible area, plus `overscan` on each side. */
export function virtualWindow(input: WindowInput): WindowRange {
  const { count, rowHeight, scrollTop, viewportHeight } = input;
  const overscan = Math.max(0, Math.floor(input.overscan));
  const open = openIn(count, input.open);
  const total = rowTop(count, rowHeight, open);
  if (count <= 0) return { start: 0, end: 0, padTop: 0, padBottom: 0, total: 0 };
  if (count <= (input.renderAllUpTo ?? 0)) return { start: 0, end: count, padTop: 0, padBottom: 0, total };
  const first = rowAt(scrollTop, count, rowHeight, open);
  const last = rowAt(scrollTop + Math.max(0, viewportHeight) - 1, count, rowHeight, open);
  const start = Math.max(0, first - overscan);
  const end = Math.min(count, last + 1 + overscan);
  const padTop = rowTop(start, rowHeight, open);
  return { start, end, padTop, padBottom: total - rowTop(end, rowHeight, open), total };
}
