import { useEffect, useState } from 'preact/hooks';

/** Whether this browser can upload with every page closed (Background Sync); Safari and iOS cannot. */
export const hasBackgroundSync = () => typeof window !== 'undefined' && 'SyncManager' in window;

type WakeLockSentinel = { release(): Promise<void>; addEventListener(type: 'release', fn: () => void): void };
type WakeLockApi = { request(type: 'screen'): Promise<WakeLockSentinel> };
const wakeLockApi = () => (navigator as Navigator & { wakeLock?: WakeLockApi }).wakeLock;

/**
 * Where uploads stop when the app is closed (no Background Sync: iOS, Safari, Firefox), says so
 * plainly and offers to keep the screen on while files upload (Screen Wake Lock). The lock is let go
 * when nothing is left to send; the browser also lets it go when the app is hidden, and it is asked
 * for again when the app comes back.
 */
export function ForegroundOnly({ pending }: { pending: number }) {
  const [wanted, setWanted] = useState(false);
  const [lock, setLock] = useState<WakeLockSentinel | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    if (!wanted || pending === 0) {
      if (lock) void lock.release().catch(() => {});
      if (pending === 0) setWanted(false);
      return;
    }
    if (lock) return;
    const take = () => {
      const api = wakeLockApi();
      if (!api) return setProblem('This browser cannot keep the screen on; keep Tender open and the screen awake.');
      api
        .request('screen')
        .then((sentinel) => {
          setProblem(null);
          sentinel.addEventListener('release', () => setLock(null));
          setLock(sentinel);
        })
        .catch((err: unknown) =>
          setProblem(
            `The screen could not be kept on (${err instanceof Error ? err.message : String(err)}); keep Tender open and the screen awake.`,
          ),
        );
    };
    if (document.visibilityState === 'visible') take();
    const again = () => document.visibilityState === 'visible' && take();
    document.addEventListener('visibilitychange', again);
    return () => document.removeEventListener('visibilitychange', again);
  }, [wanted, pending, lock]);

  if (hasBackgroundSync()) return null;
  return (
    <section class="foreground-only" aria-label="Uploads on this device">
      <p>
        On this device, uploads continue only while Tender is open. Keep it open until the queue is
        empty; it picks up again each time you come back.
      </p>
      {pending > 0 && !wanted && (
        <button type="button" onClick={() => setWanted(true)}>
          Upload now, keep screen on
        </button>
      )}
      {wanted && lock && (
        <p role="status">
          Screen stays on until the queue is empty.{' '}
          <button type="button" class="secondary" onClick={() => setWanted(false)}>
            Let the screen sleep
          </button>
        </p>
      )}
      {problem && (
        <p role="alert" class="error">
          {problem}
        </p>
      )}
    </section>
  );
}
