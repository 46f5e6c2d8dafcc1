import { useEffect, useRef, useState } from 'preact/hooks';
import { cleanTags } from '../../shared/addDefaults.ts';
import { IdbSettingsStore } from '../../shared/db/IdbSettingsStore.ts';
import type { QueueItem, UploadTags } from '../../shared/types.ts';
import { AddFilesError, addFiles } from '../queueState.ts';
import { TagFields } from '../TagFields/index.tsx';
import { DuplicatePrompt } from './DuplicatePrompt.tsx';

const settings = new IdbSettingsStore();

/**
 * The file picker with the tags that travel with the files. Files are stored the moment they are
 * picked, then checked in the background; nothing is sent before they are stored.
 */
export function AddFiles({ items }: { items: QueueItem[] }) {
  const [error, setError] = useState<string | null>(null);
  const [storing, setStoring] = useState(false);
  const [priority, setPriority] = useState(5);
  const [tags, setTags] = useState<UploadTags>({});
  const [keepLocalCopy, setKeepLocalCopy] = useState(false);
  const [dataSaver, setDataSaver] = useState(false);

  // The form starts with the choices of its last use: a batch of photos is rarely the last one.
  useEffect(() => {
    void settings
      .addDefaults()
      .then((last) => {
        setPriority(last.priority);
        setTags(last.tags);
        setKeepLocalCopy(last.keepLocalCopy);
        setDataSaver(last.dataSaver);
      })
      .catch(() => {});
  }, []);

  const [dragging, setDragging] = useState(false);

  const onChange = (event: Event) => {
    const input = event.currentTarget as HTMLInputElement;
    const files = Array.from(input.files ?? []);
    input.value = '';
    void add(files);
  };

  // Files dropped anywhere on the page (tablets and laptops) go the same way as picked ones.
  useEffect(() => {
    const carriesFiles = (e: DragEvent) => Array.from(e.dataTransfer?.types ?? []).includes('Files');
    const over = (e: DragEvent) => {
      if (!carriesFiles(e)) return;
      e.preventDefault();
      setDragging(true);
    };
    const leave = (e: DragEvent) => {
      if (e.relatedTarget === null) setDragging(false);
    };
    const drop = (e: DragEvent) => {
      if (!carriesFiles(e)) return;
      e.preventDefault();
      setDragging(false);
      void addRef.current(Array.from(e.dataTransfer?.files ?? []));
    };
    window.addEventListener('dragover', over);
    window.addEventListener('dragleave', leave);
    window.addEventListener('drop', drop);
    return () => {
      window.removeEventListener('dragover', over);
      window.removeEventListener('dragleave', leave);
      window.removeEventListener('drop', drop);
    };
  }, []);

  const add = async (files: File[]) => {
    if (!files.length) return;
    setError(null);
    setStoring(true);
    const chosen = { priority, tags: cleanTags(tags), keepLocalCopy, dataSaver };
    void settings.setAddDefaults(chosen).catch(() => {});
    try {
      await addFiles(files, chosen);
    } catch (err) {
      const list = err instanceof AddFilesError ? err.notAdded : files.map((f) => f.name);
      setError(`${err instanceof Error ? err.message : String(err)} (not added: ${list.join(', ')})`);
    } finally {
      setStoring(false);
    }
  };
  // The drop listener is set up once; it calls the form's current choices through this.
  const addRef = useRef(add);
  addRef.current = add;

  return (
    <section class="add-files" aria-label="New files">
      <div class="add-row">
        <input id="add-files-input" type="file" multiple onChange={onChange} disabled={storing} />
        <label class="button" for="add-files-input">
          Add files
        </label>
        <input
          id="take-photo-input"
          type="file"
          accept="image/*,video/*"
          capture="environment"
          onChange={onChange}
          disabled={storing}
        />
        <label class="button secondary" for="take-photo-input">
          Take photo or video
        </label>
        <label>
          Priority{' '}
          <select
            aria-label="Priority for new files"
            value={priority}
            onChange={(e) => setPriority(Number((e.currentTarget as HTMLSelectElement).value))}
          >
            {Array.from({ length: 10 }, (_, i) => 10 - i).map((p) => (
              <option key={p} value={p}>
                {p}
                {p >= 9 ? ' (critical)' : ''}
              </option>
            ))}
          </select>
        </label>
        <label>
          Photos{' '}
          <select
            aria-label="Photo size for new files"
            value={dataSaver ? 'data-saver' : 'original'}
            onChange={(e) => setDataSaver((e.currentTarget as HTMLSelectElement).value === 'data-saver')}
          >
            <option value="original">Original</option>
            <option value="data-saver">Data saver (about 3 MP)</option>
          </select>
        </label>
      </div>
      <TagFields tags={tags} onChange={setTags} idPrefix="add" />
      <div class="add-row">
        <label>
          <input
            type="checkbox"
            checked={keepLocalCopy}
            onChange={(e) => setKeepLocalCopy((e.currentTarget as HTMLInputElement).checked)}
          />{' '}
          Keep a copy on this device after upload
        </label>
      </div>
      {dragging && <p class="drop-hint">Drop the files to add them with these tags</p>}
      {storing && <p role="status">Storing files on this device…</p>}
      <DuplicatePrompt items={items} />
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
    </section>
  );
}
