import type { UploadTags } from '../../shared/types.ts';

export const DOCUMENT_TYPES = ['Photo', 'Video', 'Certificate', 'Manual', 'Invoice', 'Report', 'Other'];

/**
 * The tags shore systems index files by: document type, ship system, folder. Used when adding
 * files and when editing a waiting file's tags; `idPrefix` keeps each form's labels its own.
 */
export function TagFields(props: {
  tags: UploadTags;
  onChange: (tags: UploadTags) => void;
  idPrefix: string;
}) {
  const { tags, onChange, idPrefix } = props;
  const set = (field: string) => (event: Event) =>
    onChange({ ...tags, [field]: (event.currentTarget as HTMLInputElement | HTMLSelectElement).value });
  return (
    <div class="add-row tags">
      <label for={`${idPrefix}-type`}>Document type</label>
      <select id={`${idPrefix}-type`} value={tags.documentType ?? ''} onChange={set('documentType')}>
        <option value="">—</option>
        {DOCUMENT_TYPES.map((t) => (
          <option key={t} value={t}>
            {t}
          </option>
        ))}
      </select>
      <label for={`${idPrefix}-system`}>Ship system</label>
      <input
        id={`${idPrefix}-system`}
        value={tags.systemTag ?? ''}
        placeholder="e.g. Main engine"
        onInput={set('systemTag')}
      />
      <label for={`${idPrefix}-folder`}>Folder</label>
      <input
        id={`${idPrefix}-folder`}
        value={tags.directories ?? ''}
        placeholder="e.g. Engine room/Pumps"
        onInput={set('directories')}
      />
    </div>
  );
}
