import type { RefObject } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { type OpenRow, virtualWindow, type WindowRange } from '../../shared/virtualWindow.ts';

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

  const measure = useRef(() => {
    const el = list.current;
    if (!el) return;
    const next = virtualWindow({
      ...input.current,
      scrollTop: -el.getBoundingClientRect().top,
      viewportHeight: window.innerHeight,
      overscan: OVERSCAN,
      renderAllUpTo: RENDER_ALL_UP_TO,
    });
    setRange((prev) => (same(prev, next) ? prev : next));
  }).current;

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
