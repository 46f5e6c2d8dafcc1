import type Database from 'better-sqlite3';

/**
 * Calls `onChange` soon after another process (the operator's CLI) commits to the database, so a
 * revocation or a drop made there applies to the running server within `intervalMs`.
 * SQLite's data_version changes only for commits by other connections, so the check is one cheap
 * pragma and the server's own writes do not trigger it. Returns a function that stops watching.
 */
export function watchDatabase(db: Database.Database, intervalMs: number, onChange: () => void): () => void {
  const version = () => db.pragma('data_version', { simple: true }) as number;
  let last = version();
  const timer = setInterval(() => {
    if (!db.open) return;
    const now = version();
    if (now === last) return;
    last = now;
    onChange();
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
