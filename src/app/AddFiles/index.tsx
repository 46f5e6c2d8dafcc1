import { useState } from 'preact/hooks';
import type { QueueItem, UploadTags } from '../../shared/types.ts';
import { AddFilesError, addFiles } from '../queueState.ts';
import { DuplicatePrompt } from './DuplicatePrompt.tsx';

const DOCUMENT_TYPES = ['Photo', 'Video', 'Certificate', 'Manual', 'Invoice', 'Report', 'Other'];

/**
 * The file picker with the tags that travel with the files. Files are stored the moment they are
 * picked, then checked in the background; nothing is sent before they are stored.
 */
export function AddFiles({ items }: { items: QueueItem[] }) {
  const [error, setError] = useState<string | null>(null);
  const [storing, setStoring] = useState(false);
  const [priority, setPriority] = useState(5);
  const [documentType, setDocumentType] = useState('');
  const [systemTag, setSystemTag] = useState('');
  const [directories, setDirectories] = useState('');
  const [keepLocalCopy, setKeepLocalCopy] = useState(false);

  const tags = (): UploadTags => {
    const t: UploadTags = {};
    if (documentType) t.documentType = documentType;
    if (systemTag.trim()) t.systemTag = systemTag.trim();
    if (directories.trim()) t.directories = directories.trim();
    return t;
  };

  const onChange = async (event: Event) => {
    const input = event.currentTarget as HTMLInputElement;
    const files = Array.from(input.files ?? []);
    input.value = '';
    if (!files.length) return;
    setError(null);
    setStoring(true);
    try {
      await addFiles(files, { priority, tags: tags(), keepLocalCopy });
    } catch (err) {
      const list = err instanceof AddFilesError ? err.notAdded : files.map((f) => f.name);
      setError(`${err instanceof Error ? err.message : String(err)} (not added: ${list.join(', ')})`);
    } finally {
      setStoring(false);
    }
  };

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
      </div>
      <div class="add-row tags">
        <label>
          Document type{' '}
          <select
            value={documentType}
            onChange={(e) => setDocumentType((e.currentTarget as HTMLSelectElement).value)}
          >
            <option value="">—</option>
            {DOCUMENT_TYPES.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </label>
        <label>
          Ship system{' '}
          <input
            value={systemTag}
            placeholder="e.g. Main engine"
            onInput={(e) => setSystemTag((e.currentTarget as HTMLInputElement).value)}
          />
        </label>
        <label>
          Folder{' '}
          <input
            value={directories}
            placeholder="e.g. Engine room/Pumps"
            onInput={(e) => setDirectories((e.currentTarget as HTMLInputElement).value)}
          />
        </label>
        <label>
          <input
            type="checkbox"
            checked={keepLocalCopy}
            onChange={(e) => setKeepLocalCopy((e.currentTarget as HTMLInputElement).checked)}
          />{' '}
          Keep a copy on this device after upload
        </label>
      </div>
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
