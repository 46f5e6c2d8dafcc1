// Shared with the worker's plain-words messages (admission).
export { formatBytes } from '../shared/format.ts';

/** A clock time, for "retrying at". */
export function formatTime(epochMs: number): string {
  return new Date(epochMs).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/** A duration as crew read it: 45 s, 3 min, 2 h 5 min. */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min`;
  return `${Math.floor(min / 60)} h ${min % 60} min`;
}

/** A time still to come, as an estimate: "under a minute", "about 12 min", "about 3 h 5 min", "about 4 days". */
export function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return 'unknown';
  if (seconds < 60) return 'under a minute';
  const min = Math.ceil(seconds / 60);
  if (min < 60) return `about ${min} min`;
  if (min >= 48 * 60) return `about ${Math.round(min / 1440)} days`;
  const h = Math.floor(min / 60);
  return min % 60 ? `about ${h} h ${min % 60} min` : `about ${h} h`;
}
