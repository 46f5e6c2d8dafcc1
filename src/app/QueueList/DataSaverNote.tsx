import { dataSaverEditable } from '../../shared/dataSaver.ts';
import type { QueueItem } from '../../shared/types.ts';
import { formatBytes } from '../format.ts';
import { setDataSaver } from '../queueState.ts';

/** What Data saver did with a file (or will do, or why it did not), and the switch while nothing is sent. */
export function DataSaverNote({ item }: { item: QueueItem }) {
  const d = item.downscale;
  // Before its check, the row's status says the file is being checked; the button says the choice.
  const note = d?.applied
    ? `Data saver: ${formatBytes(d.originalSize)} → ${formatBytes(item.size)} (${d.width} × ${d.height})`
    : d && `Data saver not applied: ${d.reason}`;
  // A picture Data saver left as it is goes as it is either way: nothing to switch.
  const editable = dataSaverEditable(item) && d?.applied !== false;
  if (!note && !editable) return null;
  return (
    <div class="data-saver actions">
      {note && <p class="note">{note}</p>}
      {editable && (
        <button type="button" class="secondary" onClick={() => void setDataSaver(item.id, !item.dataSaver)}>
          {item.dataSaver ? 'Send the original instead' : 'Use Data saver'}
        </button>
      )}
    </div>
  );
}
