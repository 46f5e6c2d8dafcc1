import type Database from 'better-sqlite3';

/** One completed upload, as stored and as served by GET /api/uploads. */
export type UploadRecord = {
  id: string;
  name: string;
  type: string;
  size: number;
  sha256: string;
  metadata: Record<string, string>;
  receivedAt: string;
  /** When the upload was created; equal to receivedAt for a duplicate. */
  startedAt: string | null;
  deviceId: string | null;
  /** The record whose bytes this one shares, when the device's file was already stored. */
  duplicateOf: string | null;
  /** The stored file, relative to the data directory. */
  path: string | null;
};

/** Filters and paging of GET /api/uploads; all optional. */
export type RecordQuery = {
  device?: string;
  /** ISO 8601; records received at or after. */
  since?: string;
  /** ISO 8601; records received before. */
  until?: string;
  /** `image/jpeg` exactly, or a family: `image`, `image/` or `image/*`. */
  type?: string;
  /** Substring of the name or any metadata value. */
  q?: string;
  limit?: number;
  offset?: number;
};

/** An `uploads` row as SQL databases hold it (PostgreSQL gives its size as a string). */
export type RecordRow = {
  id: string;
  name: string;
  type: string;
  size: number;
  sha256: string;
  metadata: string;
  received_at: string;
  started_at: string | null;
  device_id: string | null;
  duplicate_of: string | null;
  path: string | null;
};

/** Completed uploads. Asynchronous so a networked database can stand behind it. */
export interface UploadRecords {
  /** Stores a record; false if the id was already recorded, so finishing twice is harmless. */
  add(record: UploadRecord): Promise<boolean>;
  /**
   * Stores the record of a finished upload and forgets its unfinished row, both or neither; false
   * if it was already recorded.
   */
  addCompleted(record: UploadRecord): Promise<boolean>;
  /** Records matching `query`, newest first. */
  list(query?: RecordQuery): Promise<UploadRecord[]>;
  /** The record for `id`, if that upload has completed. */
  get(id: string): Promise<UploadRecord | undefined>;
  /** A stored file with this content, preferring an original over a duplicate. */
  findContent(sha256: string, size: number): Promise<UploadRecord | undefined>;
}

/** Completed uploads in SQLite's `uploads` table. */
export class SqliteUploadRecords implements UploadRecords {
  private readonly db: Database.Database;
  private readonly insertStmt: Database.Statement<[RecordRow]>;
  private readonly getStmt: Database.Statement<[string], RecordRow>;
  private readonly findStmt: Database.Statement<[string, number], RecordRow>;
  private readonly forgetPartialStmt: Database.Statement<[string]>;

  constructor(db: Database.Database) {
    this.db = db;
    this.insertStmt = db.prepare(
      `INSERT INTO uploads (id, name, type, size, sha256, metadata, received_at, started_at, device_id, duplicate_of, path)
       VALUES (@id, @name, @type, @size, @sha256, @metadata, @received_at, @started_at, @device_id, @duplicate_of, @path)
       ON CONFLICT (id) DO NOTHING`,
    );
    this.getStmt = db.prepare('SELECT * FROM uploads WHERE id = ?');
    this.findStmt = db.prepare(
      'SELECT * FROM uploads WHERE sha256 = ? AND size = ? ORDER BY duplicate_of IS NOT NULL, received_at LIMIT 1',
    );
    this.forgetPartialStmt = db.prepare('DELETE FROM partials WHERE id = ?');
  }

  async add(record: UploadRecord): Promise<boolean> {
    return this.insertStmt.run(toRow(record)).changes === 1;
  }

  async addCompleted(record: UploadRecord): Promise<boolean> {
    return this.db.transaction(() => {
      const added = this.insertStmt.run(toRow(record)).changes === 1;
      this.forgetPartialStmt.run(record.id);
      return added;
    })();
  }

  async list(query: RecordQuery = {}): Promise<UploadRecord[]> {
    const params: Record<string, string | number> = {};
    const param = (value: string | number) => {
      const name = `p${Object.keys(params).length}`;
      params[name] = value;
      return `@${name}`;
    };
    const where = recordConditions(
      query,
      param,
      (column, pattern) => `${column} LIKE ${pattern} ESCAPE '\\'`,
    );
    const limit = param(query.limit ?? 100);
    const offset = param(query.offset ?? 0);
    const sql = `SELECT * FROM uploads ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
                 ORDER BY received_at DESC, rowid DESC LIMIT ${limit} OFFSET ${offset}`;
    return this.db.prepare<[Record<string, string | number>], RecordRow>(sql).all(params).map(fromRow);
  }

  async get(id: string): Promise<UploadRecord | undefined> {
    const row = this.getStmt.get(id);
    return row && fromRow(row);
  }

  async findContent(sha256: string, size: number): Promise<UploadRecord | undefined> {
    const row = this.findStmt.get(sha256, size);
    return row && fromRow(row);
  }
}

/**
 * The SQL conditions of `query`, the same on every database: `param` adds a value and returns its
 * placeholder, `like` spells an ASCII-case-insensitive LIKE with backslash escapes in the dialect.
 */
export function recordConditions(
  query: RecordQuery,
  param: (value: string | number) => string,
  like: (column: string, pattern: string) => string,
): string[] {
  const where: string[] = [];
  if (query.device) where.push(`device_id = ${param(query.device)}`);
  if (query.since) where.push(`received_at >= ${param(query.since)}`);
  if (query.until) where.push(`received_at < ${param(query.until)}`);
  if (query.type) {
    const family = /^([^/]+)\/?\*?$/.exec(query.type);
    if (family) where.push(like('type', param(`${escapeLike(family[1] ?? '')}/%`)));
    else where.push(`type = ${param(query.type)}`);
  }
  if (query.q) {
    const q = param(`%${escapeLike(query.q)}%`);
    where.push(`(${like('name', q)} OR ${like('metadata', q)})`);
  }
  return where;
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function toRow(record: UploadRecord): RecordRow {
  return {
    id: record.id,
    name: record.name,
    type: record.type,
    size: record.size,
    sha256: record.sha256,
    metadata: JSON.stringify(record.metadata),
    received_at: record.receivedAt,
    started_at: record.startedAt,
    device_id: record.deviceId,
    duplicate_of: record.duplicateOf,
    path: record.path,
  };
}

/** The record a row holds; its metadata read back leniently (a damaged value reads as none). */
export function fromRow(row: RecordRow): UploadRecord {
  return {
    id: row.id,
    name: row.name,
    type: row.type,
    size: row.size,
    sha256: row.sha256,
    metadata: parseMetadata(row.metadata),
    receivedAt: row.received_at,
    startedAt: row.started_at,
    deviceId: row.device_id,
    duplicateOf: row.duplicate_of,
    path: row.path,
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
