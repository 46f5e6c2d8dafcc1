import { statusLabel } from '../QueueList/statusText.ts';
import type { PreparedFile } from '../queueState.ts';

/** Asks before queueing a file whose exact content is already queued or uploaded. */
export function DuplicatePrompt(props: {
  files: PreparedFile[];
  onAddAll: () => void;
  onSkipDuplicates: () => void;
  onCancel: () => void;
}) {
  const duplicates = props.files.filter((f) => f.duplicateOf);
  const others = props.files.length - duplicates.length;
  return (
    <div class="duplicate-prompt" role="dialog" aria-label="Already queued">
      <p>
        {duplicates.length === 1 ? 'This file is' : 'These files are'} already in the queue with the same
        content:
      </p>
      <ul>
        {duplicates.map((d) => (
          <li key={d.sha256 + d.file.name}>
            {d.file.name} — same as {d.duplicateOf?.name} ({d.duplicateOf ? statusLabel(d.duplicateOf) : ''})
          </li>
        ))}
      </ul>
      <div class="actions">
        <button type="button" onClick={props.onSkipDuplicates}>
          {others ? `Skip duplicates, add ${others} other${others === 1 ? '' : 's'}` : 'Skip duplicates'}
        </button>
        <button type="button" class="secondary" onClick={props.onAddAll}>
          Add anyway
        </button>
        <button type="button" class="secondary" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </div>
  );
}
