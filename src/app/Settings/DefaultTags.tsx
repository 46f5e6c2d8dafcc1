import { useEffect, useState } from 'preact/hooks';
import { type AddDefaults, cleanTags } from '../../shared/addDefaults.ts';
import { IdbSettingsStore } from '../../shared/db/IdbSettingsStore.ts';
import type { UploadTags } from '../../shared/types.ts';
import { TagFields } from '../TagFields/index.tsx';

const store = new IdbSettingsStore();

/**
 * The tags Add files starts with. They are the same stored choices the form keeps from its last
 * use (shared/addDefaults.ts): set here, or changed there when adding a batch.
 */
export function DefaultTags() {
  const [defaults, setDefaults] = useState<AddDefaults | null>(null);
  const [tags, setTags] = useState<UploadTags>({});
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    void store.addDefaults().then((d) => {
      setDefaults(d);
      setTags(d.tags);
    });
  }, []);
  if (!defaults) return null;
  const save = async (event: Event) => {
    event.preventDefault();
    // Read again: the other choices (priority, keep a copy…) stay as Add files last left them.
    const current = await store.addDefaults();
    const next = { ...current, tags: cleanTags(tags) };
    await store.setAddDefaults(next);
    setDefaults(next);
    setTags(next.tags);
    setSaved(true);
  };
  return (
    <section class="settings-section" aria-labelledby="settings-tags">
      <h2 id="settings-tags">Tags for new files</h2>
      <p class="hint">Add files starts with these tags; you can still change them for each batch.</p>
      <form
        onSubmit={save}
        onInput={() => setSaved(false)}
        onChange={() => setSaved(false)}
        aria-labelledby="settings-tags"
      >
        <TagFields tags={tags} onChange={setTags} idPrefix="default" />
        <button type="submit">Save tags</button>
        {saved && <p role="status">Saved. New files start with these tags.</p>}
      </form>
    </section>
  );
}
