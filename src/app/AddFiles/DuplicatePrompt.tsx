import type { QueueItem } from '../../shared/types.ts';
import { statusLabel } from '../QueueList/statusText.ts';
import { removeItem, resumeItem } from '../queueState.ts';

/** Files paused because their exact content is already queued or uploaded, with what they match. */
export function duplicatesIn(items: QueueItem[]): { item: QueueItem; same: QueueItem | null }[] {
  return items
    .filter((i) => i.status === 'paused' && i.waitReason === 'duplicate')
    .map((item) => ({
      item,
      same:
        items.find((o) => o.id !== item.id && o.sha256 === item.sha256 && o.waitReason !== 'duplicate') ??
        null,
    }));
}

/**
 * Asks what to do with files whose content turned out to be queued already. They wait, paused, so
 * no satellite byte goes on them before someone answers; the question stays until then.
 */
export function DuplicatePrompt({ items }: { items: QueueItem[] }) {
  const duplicates = duplicatesIn(items);
  if (!duplicates.length) return null;
  const one = duplicates.length === 1;
  return (
    <div class="duplicate-prompt" role="dialog" aria-label="Already queued">
      <p>{one ? 'This file is' : 'These files are'} already in the queue with the same content:</p>
      <ul>
        {duplicates.map(({ item, same }) => (
          <li key={item.id}>
            {item.name}
            {same ? ` — same as ${same.name} (${statusLabel(same)})` : ''}
          </li>
        ))}
      </ul>
      <div class="actions">
        <button type="button" onClick={() => duplicates.forEach(({ item }) => void removeItem(item.id))}>
          {one ? 'Remove the copy' : 'Remove the copies'}
        </button>
        <button
          type="button"
          class="secondary"
          onClick={() => duplicates.forEach(({ item }) => void resumeItem(item.id))}
        >
          Upload anyway
        </button>
      </div>
    </div>
  );
}
