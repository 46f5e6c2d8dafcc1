import { useEffect, useState } from 'preact/hooks';
import { formatBytes } from '../format.ts';
import { keepAnswer } from '../KeepSafe/index.tsx';
import { reloadQueue } from '../queueState.ts';
import { askToKeepStorage, persistRefusedAt, type StorageState } from '../storageState.ts';

/** What the app holds on this device, what is free, and whether the browser promised to keep it. */
export function StorageSection({ storage }: { storage: StorageState | null }) {
  const [refusedAt, setRefusedAt] = useState<number | null>(null);
  const [answer, setAnswer] = useState<boolean | null>(null);
  useEffect(() => void persistRefusedAt().then(setRefusedAt), []);
  const ask = async () => {
    const kept = await askToKeepStorage();
    setAnswer(kept);
    if (!kept) setRefusedAt(Date.now());
    await reloadQueue();
  };
  return (
    <section class="settings-section" aria-labelledby="settings-storage">
      <h2 id="settings-storage">Storage on this device</h2>
      {storage ? (
        <dl class="counters">
          <div>
            <dt>Used by Tender</dt>
            <dd>{formatBytes(storage.usage)}</dd>
          </div>
          <div>
            <dt>Free for Tender</dt>
            <dd>{formatBytes(Math.max(0, storage.quota - storage.usage))}</dd>
          </div>
          <div>
            <dt>Kept safe</dt>
            <dd>{storage.persisted ? 'yes' : 'no'}</dd>
          </div>
        </dl>
      ) : (
        <p>This browser does not say how much storage the app may use.</p>
      )}
      <p role="status">
        {storage?.persisted
          ? 'The browser will not clear queued files when the phone runs low on space.'
          : 'When the phone runs low on space, the browser may clear queued files that have not reached shore.'}
      </p>
      {answer !== null && <p role="status">{keepAnswer(answer)}</p>}
      {answer === null && refusedAt !== null && !storage?.persisted && (
        <p class="hint">The browser said no on {new Date(refusedAt).toLocaleDateString()}.</p>
      )}
      {storage?.canPersist && !storage.persisted && (
        <button type="button" onClick={() => void ask()}>
          Keep files safe
        </button>
      )}
    </section>
  );
}
