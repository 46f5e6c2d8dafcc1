import type Database from 'better-sqlite3';

/**
 * Brings a SQLite file's schema up to date in one immediate transaction: `migrations[i]` upgrades
 * schema version i to i + 1 (only append: files in the field migrate forward). A file newer than
 * `migrations` know is refused with the error `tooNew` words.
 */
export function migrate(
  db: Database.Database,
  migrations: readonly string[],
  tooNew: (version: number) => string,
): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > migrations.length) throw new Error(tooNew(version));
  db.transaction(() => {
    for (const sql of migrations.slice(version)) db.exec(sql);
    db.pragma(`user_version = ${migrations.length}`);
  }).immediate();
}
