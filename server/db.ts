import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

// Index i upgrades schema version i to i + 1. Only append: databases in the field migrate forward.
const MIGRATIONS = [
  `CREATE TABLE uploads (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     type TEXT NOT NULL,
     size INTEGER NOT NULL,
     sha256 TEXT NOT NULL,
     metadata TEXT NOT NULL,
     received_at TEXT NOT NULL
   );
   CREATE INDEX uploads_received_at ON uploads (received_at);`,
  `ALTER TABLE uploads ADD COLUMN device_id TEXT;
   ALTER TABLE uploads ADD COLUMN duplicate_of TEXT;
   ALTER TABLE uploads ADD COLUMN path TEXT;
   ALTER TABLE uploads ADD COLUMN started_at TEXT;
   CREATE INDEX uploads_sha256 ON uploads (sha256, size);
   CREATE INDEX uploads_device ON uploads (device_id, received_at);
   CREATE TABLE devices (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     token_hash BLOB NOT NULL UNIQUE,
     created_at TEXT NOT NULL,
     revoked_at TEXT,
     last_seen_at TEXT
   );
   CREATE TABLE partials (
     id TEXT PRIMARY KEY,
     device_id TEXT NOT NULL,
     size INTEGER NOT NULL,
     acked INTEGER NOT NULL DEFAULT 0,
     metadata TEXT NOT NULL,
     created_at TEXT NOT NULL,
     completed_at TEXT,
     sha256 TEXT,
     target TEXT
   );`,
  // The operator's CLI asks the running server to drop a device's unfinished uploads by marking them.
  `ALTER TABLE partials ADD COLUMN drop_requested_at TEXT;
   CREATE INDEX partials_device ON partials (device_id);`,
  // One-time enrolment codes: looked up by a hash, the device token sealed under the code itself.
  `CREATE TABLE enrolment_codes (
     lookup BLOB PRIMARY KEY,
     device_id TEXT NOT NULL,
     sealed BLOB,
     expires_at TEXT NOT NULL,
     used_at TEXT
   );`,
];

/** Opens (creating if needed) `<dataDir>/tender.db` and brings its schema up to date. */
export function openDatabase(dataDir: string): Database.Database {
  fs.mkdirSync(dataDir, { recursive: true });
  const db = new Database(path.join(dataDir, 'tender.db'));
  // The CLI writes (enrol, revoke) while the server runs; wait for the other writer instead of failing.
  db.pragma('busy_timeout = 5000');
  // WAL lets readers (API, CLI) run beside the writer.
  db.pragma('journal_mode = WAL');
  // Acknowledged upload offsets live here: a commit must survive power loss, not only a crash.
  db.pragma('synchronous = FULL');
  migrate(db);
  return db;
}

function migrate(db: Database.Database): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > MIGRATIONS.length) {
    throw new Error(`tender.db has schema version ${version}, newer than this server knows; upgrade Tender`);
  }
  db.transaction(() => {
    for (const sql of MIGRATIONS.slice(version)) db.exec(sql);
    db.pragma(`user_version = ${MIGRATIONS.length}`);
  }).immediate();
}
