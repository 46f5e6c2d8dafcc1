import { useEffect, useState } from 'preact/hooks';

/** The app's screens: the uploads (status, link, Add files, Upload queue) and Settings. */
export type View = 'uploads' | 'settings';

/** The screen the address names: `#settings` is Settings, anything else the uploads. */
const viewOf = (hash: string): View => (hash === '#settings' ? 'settings' : 'uploads');

/**
 * The screen shown, from the location hash, so the browser's Back button and a reload keep it and
 * the offline shell (one precached index.html) serves both. `open` goes to a screen the way a link
 * would; leaving Settings goes back in history when Settings was opened from this page.
 */
export function useView(): [View, (view: View) => void] {
  const [view, setView] = useState<View>(() => viewOf(window.location.hash));
  useEffect(() => {
    const follow = () => setView(viewOf(window.location.hash));
    window.addEventListener('hashchange', follow);
    window.addEventListener('popstate', follow);
    return () => {
      window.removeEventListener('hashchange', follow);
      window.removeEventListener('popstate', follow);
    };
  }, []);
  const open = (next: View) => {
    if (next === viewOf(window.location.hash)) return;
    if (next === 'settings') {
      window.history.pushState({ from: 'uploads' }, '', '#settings');
    } else if ((window.history.state as { from?: string } | null)?.from === 'uploads') {
      // Opened from the uploads in this page: Back returns there, and no entry is left behind.
      window.history.back();
      return;
    } else {
      window.history.replaceState(null, '', window.location.pathname + window.location.search);
    }
    setView(next);
    window.scrollTo(0, 0);
  };
  return [view, open];
}
