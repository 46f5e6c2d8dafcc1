import { useEffect, useState } from 'preact/hooks';

/**
 * Height of a closed row in px, by layout. On a wide screen the why-it-waits text shares the name's
 * column, two lines beside the buttons. On a narrow one (a phone held upright) that column holds
 * barely 25 characters a line, so the text gets a full-width band of its own, two lines, under them.
 * The list's arithmetic and the row's style both use these heights.
 */
export const ROW_HEIGHTS = { wide: 100, narrow: 140 } as const;

/** Where the narrow layout starts; styles.css switches the row's grid at the same width. */
export const NARROW_ROWS = '(max-width: 37.5rem)';

/** The closed row height for the screen's width now, following rotations and resizes. */
export function useRowHeight(): number {
  const [narrow, setNarrow] = useState(() => window.matchMedia(NARROW_ROWS).matches);
  useEffect(() => {
    const query = window.matchMedia(NARROW_ROWS);
    const follow = () => setNarrow(query.matches);
    query.addEventListener('change', follow);
    follow();
    return () => query.removeEventListener('change', follow);
  }, []);
  return narrow ? ROW_HEIGHTS.narrow : ROW_HEIGHTS.wide;
}
