import { useEffect, useState } from 'preact/hooks';
import { persistAdvice, unsentBytes } from '../../shared/persistPolicy.ts';
import type { QueueItem } from '../../shared/types.ts';
import { formatBytes } from '../format.ts';
import { reloadQueue } from '../queueState.ts';
import { askToKeepStorage, persistRefusedAt, type StorageState } from '../storageState.ts';

/** The browser's answer, in words for the crew. */
export function keepAnswer(kept: boolean): string {
  return kept
    ? 'Queued files are kept safe: the browser will not clear them when the phone runs low on space.'
    : 'The browser did not promise to keep them. Adding Tender to the home screen (Install app) usually lets it; you can ask again in Settings.';
}

/**
 * Asks the crew, when files that have not reached shore would be lost with the app's storage (a big
 * queue, or a file waiting for the link), to let the browser keep it; the policy is in
 * shared/persistPolicy.ts. Nothing shows until then.
 */
export function KeepSafe(props: { items: QueueItem[]; storage: StorageState | null; online: boolean }) {
  const [refusedAt, setRefusedAt] = useState<number | null | undefined>(undefined);
  const [answer, setAnswer] = useState<boolean | null>(null);
  const [asking, setAsking] = useState(false);
  useEffect(() => void persistRefusedAt().then(setRefusedAt), []);
  const { storage } = props;
  if (answer !== null)
    return (
      <p class="keep-safe" role="status">
        {keepAnswer(answer)}
      </p>
    );
  if (!storage || refusedAt === undefined) return null;
  const advice = persistAdvice({
    persisted: storage.canPersist ? storage.persisted : null,
    items: props.items,
    online: props.online,
    refusedAt,
    now: Date.now(),
  });
  if (advice !== 'offer') return null;
  const ask = async () => {
    setAsking(true);
    const kept = await askToKeepStorage();
    setAnswer(kept);
    setAsking(false);
    await reloadQueue();
  };
  return (
    <section class="keep-safe" aria-labelledby="keep-safe-heading">
      <h2 id="keep-safe-heading">Keep queued files safe when the phone is low on space</h2>
      <p>
        {formatBytes(unsentBytes(props.items))} of files have not reached shore yet. When the phone runs low
        on space, the browser may delete them before they are sent, unless you let it keep them.
      </p>
      <button type="button" disabled={asking} onClick={() => void ask()}>
        Keep files safe
      </button>
    </section>
  );
}
