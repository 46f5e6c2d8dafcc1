import { useState } from 'preact/hooks';
import type { QueueItem, UploadTags } from '../../shared/types.ts';
import { setTags } from '../queueState.ts';
import { TagFields } from '../TagFields/index.tsx';

/** Whether a file's tags can still change: they go ashore when its upload is created. */
export const tagsEditable = (item: QueueItem) =>
  item.uploadUrl === null &&
  (item.status === 'waiting' || item.status === 'paused' || item.status === 'failed');

/** Edits the tags of a file that has not started yet; says so when they can no longer change. */
export function TagEditor({ item }: { item: QueueItem }) {
  const [draft, setDraft] = useState<UploadTags | null>(null);
  if (!tagsEditable(item)) return null;
  if (!draft) {
    return (
      <button type="button" class="secondary" onClick={() => setDraft(item.tags)}>
        Edit tags
      </button>
    );
  }
  const save = async (event: Event) => {
    event.preventDefault();
    await setTags(item.id, draft);
    setDraft(null);
  };
  return (
    <form class="tag-editor" aria-label={`Tags of ${item.name}`} onSubmit={save}>
      <TagFields tags={draft} onChange={setDraft} idPrefix={`tags-${item.id}`} />
      <div class="actions">
        <button type="submit">Save tags</button>
        <button type="button" class="secondary" onClick={() => setDraft(null)}>
          Cancel
        </button>
      </div>
    </form>
  );
}
