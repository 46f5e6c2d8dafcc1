import { useState } from 'preact/hooks';
import { addFiles } from '../queueState.ts';

/** The file picker: many files at once, stored in the queue before anything is sent. */
export function AddFiles() {
  const [error, setError] = useState<string | null>(null);
  const onChange = async (event: Event) => {
    const input = event.currentTarget as HTMLInputElement;
    const files = Array.from(input.files ?? []);
    setError(null);
    try {
      await addFiles(files);
      input.value = '';
    } catch (err) {
      const names = files.map((f) => f.name).join(', ');
      setError(`Could not add ${names}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  return (
    <div class="add-files">
      <input id="add-files-input" type="file" multiple onChange={onChange} />
      <label class="button" for="add-files-input">
        Add files
      </label>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
    </div>
  );
}
