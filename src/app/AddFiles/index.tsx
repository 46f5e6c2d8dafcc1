import { useState } from 'preact/hooks';
import type { UploadTags } from '../../shared/types.ts';
import { AddFilesError, addPrepared, type PreparedFile, prepareFiles } from '../queueState.ts';
import { DuplicatePrompt } from './DuplicatePrompt.tsx';

const DOCUMENT_TYPES = ['Photo', 'Video', 'Certificate', 'Manual', 'Invoice', 'Report', 'Other'];

/** The file picker with the tags that travel with the files; files are stored before anything is sent. */
export function AddFiles() {
  const [error, setError] = useState<string | null>(null);
  const [checking, setChecking] = useState<string | null>(null);
  const [pending, setPending] = useState<PreparedFile[] | null>(null);
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

  const add = async (files: PreparedFile[]) => {
    setPending(null);
    try {
      await addPrepared(files, { priority, tags: tags(), keepLocalCopy });
    } catch (err) {
      const list = err instanceof AddFilesError ? err.notAdded : files.map((f) => f.file.name);
      setError(`${err instanceof Error ? err.message : String(err)} (not added: ${list.join(', ')})`);
    }
  };

  const onChange = async (event: Event) => {
    const input = event.currentTarget as HTMLInputElement;
    const files = Array.from(input.files ?? []);
    input.value = '';
    if (!files.length) return;
    setError(null);
    try {
      setChecking('Checking files…');
      const prepared = await prepareFiles(files, (done, total) =>
        setChecking(`Checking files… ${total ? Math.floor((done / total) * 100) : 100}%`),
      );
      setChecking(null);
      if (prepared.some((p) => p.duplicateOf)) setPending(prepared);
      else await add(prepared);
    } catch (err) {
      setChecking(null);
      setError(
        `Could not read ${files.map((f) => f.name).join(', ')}: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  };

  return (
    <section class="add-files" aria-label="New files">
      <div class="add-row">
        <input
          id="add-files-input"
          type="file"
          multiple
          onChange={onChange}
          disabled={!!checking || !!pending}
        />
        <label class="button" for="add-files-input">
          Add files
        </label>
        <input
          id="take-photo-input"
          type="file"
          accept="image/*,video/*"
          capture="environment"
          onChange={onChange}
          disabled={!!checking || !!pending}
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
      {checking && <p role="status">{checking}</p>}
      {pending && (
        <DuplicatePrompt
          files={pending}
          onAddAll={() => add(pending)}
          onSkipDuplicates={() => add(pending.filter((p) => !p.duplicateOf))}
          onCancel={() => setPending(null)}
        />
      )}
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
    </section>
  );
}
