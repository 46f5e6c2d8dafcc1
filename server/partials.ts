import type Database from 'better-sqlite3';

/** An upload that has been created but not yet recorded as complete. */
export type Partial = {
  id: string;
  deviceId: string;
  size: number;
  /** Bytes known to be on disk (fsynced): the only offset ever reported to a client. */
  acked: number;
  metadata: Record<string, string>;
  createdAt: string;
  /** Set once all bytes are acknowledged and verified; the record is then being written. */
  completion: { at: string; sha256: string; target: string } | null;
  /** When the operator asked (from the CLI) for this upload to be dropped. */
  dropRequestedAt: string | null;
};

/** What a device's unfinished uploads hold against its quota: how many, and their total size. */
export type Reserved = { count: number; bytes: number };

/**
 * Unfinished uploads; their acknowledged offsets are the source of truth. Asynchronous so a
 * networked database can stand behind it.
 */
export interface Partials {
  /**
   * Adds a new upload at offset 0 unless `admit`, shown what the device already holds, refuses it;
   * the check and the insert are one step, so two creations cannot both take a device's last slot.
   */
  create<R>(
    p: Pick<Partial, 'id' | 'deviceId' | 'size' | 'metadata' | 'createdAt'>,
    admit: (reserved: Reserved) => R | undefined,
  ): Promise<R | undefined>;
  /** One upload by id. */
  get(id: string): Promise<Partial | undefined>;
  /** All unfinished uploads, oldest first. */
  all(): Promise<Partial[]>;
  /** Records that `offset` bytes are durably stored. Call only once they are. */
  ack(id: string, offset: number): Promise<void>;
  /** Marks all bytes acknowledged and verified, and where the file will be filed. */
  markComplete(id: string, completion: { at: string; sha256: string; target: string }): Promise<void>;
  /** Forgets an upload. */
  delete(id: string): Promise<void>;
  /**
   * Bytes still to come for unfinished uploads that can still be resumed: room they have a claim
   * on. Uploads of revoked devices and uploads the operator asked to drop claim nothing.
   */
  outstandingBytes(): Promise<number>;
  /** What a device's unfinished uploads hold against its quota. */
  reservedBy(deviceId: string): Promise<Reserved>;
  /** A device's unfinished uploads, oldest first. */
  ofDevice(deviceId: string): Promise<Partial[]>;
  /** Marks a device's unfinished uploads for the server to drop; returns how many. */
  requestDrop(deviceId: string): Promise<number>;
  /** Unfinished uploads that can never be resumed: their device is revoked or gone, or a drop was asked for. */
  abandoned(): Promise<Partial[]>;
  /** Unfinished uploads created before `createdBefore` (ISO 8601). */
  expired(createdBefore: string): Promise<Partial[]>;
}

/** A `partials` row as SQL databases hold it (PostgreSQL gives its numbers as strings). */
export type PartialRow = {
  id: string;
  device_id: string;
  size: number;
  acked: number;
  metadata: string;
  created_at: string;
  completed_at: string | null;
  sha256: string | null;
  target: string | null;
  drop_requested_at: string | null;
};

/** Unfinished uploads in SQLite's `partials` table. */
export class SqlitePartials implements Partials {
  private readonly getStmt: Database.Statement<[string], PartialRow>;
  private readonly ackStmt: Database.Statement<[number, string]>;
  private readonly db: Database.Database;

  constructor(db: Database.Database) {
    this.db = db;
    this.getStmt = db.prepare('SELECT * FROM partials WHERE id = ?');
    this.ackStmt = db.prepare('UPDATE partials SET acked = ? WHERE id = ?');
  }

  async create<R>(
    p: Pick<Partial, 'id' | 'deviceId' | 'size' | 'metadata' | 'createdAt'>,
    admit: (reserved: Reserved) => R | undefined,
  ): Promise<R | undefined> {
    // better-sqlite3 runs this synchronously: nothing else reads or writes in between.
    const refusal = admit(this.reserved(p.deviceId));
    if (refusal !== undefined) return refusal;
    this.db
      .prepare(
        'INSERT INTO partials (id, device_id, size, acked, metadata, created_at) VALUES (?, ?, ?, 0, ?, ?)',
      )
      .run(p.id, p.deviceId, p.size, JSON.stringify(p.metadata), p.createdAt);
    return undefined;
  }

  async get(id: string): Promise<Partial | undefined> {
    const row = this.getStmt.get(id);
    return row && partialOf(row);
  }

  async all(): Promise<Partial[]> {
    return this.db.prepare<[], PartialRow>('SELECT * FROM partials ORDER BY created_at').all().map(partialOf);
  }

  async ack(id: string, offset: number): Promise<void> {
    this.ackStmt.run(offset, id);
  }

  async markComplete(id: string, completion: { at: string; sha256: string; target: string }): Promise<void> {
    this.db
      .prepare('UPDATE partials SET acked = size, completed_at = ?, sha256 = ?, target = ? WHERE id = ?')
      .run(completion.at, completion.sha256, completion.target, id);
  }

  async delete(id: string): Promise<void> {
    this.db.prepare('DELETE FROM partials WHERE id = ?').run(id);
  }

  async outstandingBytes(): Promise<number> {
    const row = this.db
      .prepare<[], { n: number | null }>(
        `SELECT SUM(p.size - p.acked) AS n FROM partials p JOIN devices d ON d.id = p.device_id
         WHERE d.revoked_at IS NULL AND p.drop_requested_at IS NULL`,
      )
      .get();
    return row?.n ?? 0;
  }

  async reservedBy(deviceId: string): Promise<Reserved> {
    return this.reserved(deviceId);
  }

  private reserved(deviceId: string): Reserved {
    const row = this.db
      .prepare<[string], { count: number; bytes: number | null }>(
        `SELECT COUNT(*) AS count, SUM(size) AS bytes FROM partials
         WHERE device_id = ? AND completed_at IS NULL AND drop_requested_at IS NULL`,
      )
      .get(deviceId);
    return { count: row?.count ?? 0, bytes: row?.bytes ?? 0 };
  }

  async ofDevice(deviceId: string): Promise<Partial[]> {
    return this.db
      .prepare<[string], PartialRow>(
        'SELECT * FROM partials WHERE device_id = ? AND completed_at IS NULL ORDER BY created_at',
      )
      .all(deviceId)
      .map(partialOf);
  }

  async requestDrop(deviceId: string): Promise<number> {
    return this.db
      .prepare(
        `UPDATE partials SET drop_requested_at = COALESCE(drop_requested_at, ?)
         WHERE device_id = ? AND completed_at IS NULL`,
      )
      .run(new Date().toISOString(), deviceId).changes;
  }

  async abandoned(): Promise<Partial[]> {
    return this.db
      .prepare<[], PartialRow>(
        `SELECT p.* FROM partials p LEFT JOIN devices d ON d.id = p.device_id
         WHERE p.completed_at IS NULL
           AND (d.id IS NULL OR d.revoked_at IS NOT NULL OR p.drop_requested_at IS NOT NULL)`,
      )
      .all()
      .map(partialOf);
  }

  async expired(createdBefore: string): Promise<Partial[]> {
    return this.db
      .prepare<[string], PartialRow>('SELECT * FROM partials WHERE created_at < ? AND completed_at IS NULL')
      .all(createdBefore)
      .map(partialOf);
  }
}

/** An unfinished upload as the operator sees it (admin API and CLI). */
export function describeUnfinished(p: Partial) {
  return {
    id: p.id,
    name: p.metadata.filename || p.metadata.name || p.id,
    size: p.size,
    offset: p.acked,
    createdAt: p.createdAt,
    dropRequested: p.dropRequestedAt !== null,
  };
}

/** The unfinished upload a row holds. */
export function partialOf(row: PartialRow): Partial {
  return {
    id: row.id,
    deviceId: row.device_id,
    size: row.size,
    acked: row.acked,
    metadata: JSON.parse(row.metadata) as Record<string, string>,
    createdAt: row.created_at,
    completion:
      row.completed_at && row.sha256 && row.target
        ? { at: row.completed_at, sha256: row.sha256, target: row.target }
        : null,
    dropRequestedAt: row.drop_requested_at,
  };
}
