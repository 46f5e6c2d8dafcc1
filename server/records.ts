import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

/** One completed upload, as stored and as served by GET /api/uploads. */
export type UploadRecord = {
  id: string;
  name: string;
  type: string;
  size: number;
  sha256: string;
  metadata: Record<string, string>;
  receivedAt: string;
};

type Row = {
  id: string;
  name: string;
  type: string;
  size: number;
  sha256: string;
  metadata: string;
  received_at: string;
};

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
];

/** Completed uploads in SQLite at `<dataDir>/tender.db`. */
export class UploadRecords {
  private readonly db: Database.Database;
  private readonly insertStmt: Database.Statement<[Row]>;
  private readonly listStmt: Database.Statement<[], Row>;
  private readonly getStmt: Database.Statement<[string], Row>;

  constructor(dataDir: string) {
    fs.mkdirSync(dataDir, { recursive: true });
    this.db = new Database(path.join(dataDir, 'tender.db'));
    // WAL lets /api/uploads read while an upload is being recorded.
    this.db.pragma('journal_mode = WAL');
    migrate(this.db);
    this.insertStmt = this.db.prepare(
      `INSERT INTO uploads (id, name, type, size, sha256, metadata, received_at)
       VALUES (@id, @name, @type, @size, @sha256, @metadata, @received_at)
       ON CONFLICT (id) DO NOTHING`,
    );
    this.listStmt = this.db.prepare('SELECT * FROM uploads ORDER BY received_at DESC, rowid DESC');
    this.getStmt = this.db.prepare('SELECT * FROM uploads WHERE id = ?');
  }

  /** Stores a record; returns false if the id was already recorded, so finishing twice is harmless. */
  add(record: UploadRecord): boolean {
    const { receivedAt, metadata, ...rest } = record;
    const row = { ...rest, metadata: JSON.stringify(metadata), received_at: receivedAt };
    return this.insertStmt.run(row).changes === 1;
  }

  /** All records, newest first. */
  list(): UploadRecord[] {
    return this.listStmt.all().map(fromRow);
  }

  /** The record for `id`, if that upload has completed. */
  get(id: string): UploadRecord | undefined {
    const row = this.getStmt.get(id);
    return row && fromRow(row);
  }

  /** Closes the database; the object is unusable afterwards. */
  close(): void {
    this.db.close();
  }
}

function migrate(db: Database.Database): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > MIGRATIONS.length) {
    throw new Error(`tender.db has schema version ${version}, newer than this server knows; upgrade Tender`);
  }
  db.transaction(() => {
    for (const sql of MIGRATIONS.slice(version)) db.exec(sql);
    db.pragma(`user_version = ${MIGRATIONS.length}`);
  })();
}

function fromRow(row: Row): UploadRecord {
  return {
    id: row.id,
    name: row.name,
    type: row.type,
    size: row.size,
    sha256: row.sha256,
    metadata: parseMetadata(row.metadata),
    receivedAt: row.received_at,
  };
}

function parseMetadata(json: string): Record<string, string> {
  try {
    const value: unknown = JSON.parse(json);
    return value && typeof value === 'object' ? (value as Record<string, string>) : {};
  } catch {
    return {};
  }
}
