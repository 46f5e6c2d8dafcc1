import type { RefObject } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { type OpenRow, rowAt, rowTop, virtualWindow, type WindowRange } from '../../shared/virtualWindow.ts';

/** Rows rendered above and below the visible ones: a flick or a Tab lands on a row already there. */
const OVERSCAN = 6;
/** A queue this short is rendered whole. */
const RENDER_ALL_UP_TO = 50;

const same = (a: WindowRange, b: WindowRange) =>
  a.start === b.start && a.end === b.end && a.padTop === b.padTop && a.padBottom === b.padBottom;

/**
 * The rows of a list that scrolls with the page to put in the DOM. The list's position is read
 * after each render and on scroll and resize (at most once a frame); the component renders again
 * only when the range changes.
 */
export function useVirtualRows(
  list: RefObject<HTMLElement | null>,
  count: number,
  rowHeight: number,
  open: OpenRow | null,
): WindowRange {
  const input = useRef({ count, rowHeight, open });
  input.current = { count, rowHeight, open };
  const [range, setRange] = useState<WindowRange>(() =>
    virtualWindow({
      count,
      rowHeight,
      open,
      scrollTop: 0,
      viewportHeight: window.innerHeight,
      overscan: OVERSCAN,
      renderAllUpTo: RENDER_ALL_UP_TO,
    }),
  );

  /** Where the list was last seen: the row height then, and how far into the list the screen's top was. */
  const seen = useRef({ rowHeight, scrollTop: 0, atEnd: false });
  /**
   * A place in the list to bring to the screen's top (or the page's end) once the page is tall
   * enough: the rows for it are rendered first, their padding making the room, then it is scrolled
   * to. Two tries, so that it never fights the crew's own scrolling.
   */
  const pending = useRef<{ to: number | 'end'; tries: number } | null>(null);

  const measure = useRef(() => {
    const el = list.current;
    if (!el) return;
    let scrollTop = -el.getBoundingClientRect().top;
    const want = pending.current;
    if (want) {
      if (want.to === 'end') window.scrollTo(0, document.documentElement.scrollHeight);
      else window.scrollBy(0, want.to - scrollTop);
      scrollTop = -el.getBoundingClientRect().top;
      const { count: n, rowHeight: h, open: opened } = input.current;
      const target = want.to === 'end' ? rowTop(n, h, opened) - window.innerHeight : want.to;
      if (Math.abs(scrollTop - target) < 1 || --want.tries <= 0) pending.current = null;
      else scrollTop = target;
    }
    // Within a row of the page's end (fractional row positions leave a few px short of it).
    const atEnd =
      window.scrollY + window.innerHeight >= document.documentElement.scrollHeight - input.current.rowHeight;
    seen.current = { rowHeight: input.current.rowHeight, scrollTop, atEnd };
    const next = virtualWindow({
      ...input.current,
      scrollTop,
      viewportHeight: window.innerHeight,
      overscan: OVERSCAN,
      renderAllUpTo: RENDER_ALL_UP_TO,
    });
    setRange((prev) => (same(prev, next) ? prev : next));
  }).current;

  // Rows of a new height (the phone turned): the row that was at the top of the screen stays there,
  // or the end of the page if it was in view, instead of the same pixel offset landing hundreds of
  // rows away in a long list.
  useLayoutEffect(() => {
    const before = seen.current;
    const el = list.current;
    if (!el || before.rowHeight === rowHeight || before.scrollTop <= 0) return;
    const { count: n, open: opened } = input.current;
    if (before.atEnd) {
      pending.current = { to: 'end', tries: 2 };
      return;
    }
    const index = rowAt(before.scrollTop, n, before.rowHeight, opened);
    const into = Math.min(1, (before.scrollTop - rowTop(index, before.rowHeight, opened)) / before.rowHeight);
    pending.current = { to: rowTop(index, rowHeight, opened) + into * rowHeight, tries: 2 };
  }, [rowHeight]);

  // After every render: rows or the page above the list may have changed.
  useLayoutEffect(measure);

  useEffect(() => {
    let frame = 0;
    const schedule = () => {
      if (!frame)
        frame = requestAnimationFrame(() => {
          frame = 0;
          measure();
        });
    };
    window.addEventListener('scroll', schedule, { passive: true });
    window.addEventListener('resize', schedule);
    return () => {
      cancelAnimationFrame(frame);
      window.removeEventListener('scroll', schedule);
      window.removeEventListener('resize', schedule);
    };
  }, [measure]);

  // A range left over from a longer list is corrected by the layout effect before it is painted.
  return range;
}
