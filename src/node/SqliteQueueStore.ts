import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { type Change, type QueueStore, releasable } from '../shared/queueStore.ts';
import type { NewFile, QueueItem } from '../shared/types.ts';
import { migrate } from './migrate.ts';
import { QueueFiles, refusedWrite } from './QueueFiles.ts';

// Index i upgrades schema version i to i + 1. Only append: queues in the field migrate forward.
const MIGRATIONS = [
  // One row per queued file: its record as JSON, and the name of its bytes under files/ (NULL once
  // released). The record changes with every chunk; the bytes are written once, beside it.
  `CREATE TABLE items (
     id TEXT PRIMARY KEY,
     record TEXT NOT NULL,
     file TEXT UNIQUE
   );`,
];

/** A file on disk that no record names is deleted when the store opens, once idle this long. */
const ORPHAN_IDLE_MS = 10 * 60_000;

type Row = { record: string; file: string | null };

/**
 * The durable queue for Node (a relay forwarding uploads ashore): records in SQLite
 * (`<dir>/queue.db`), each file's bytes once on disk beside it (`<dir>/files/`). Every change of a
 * record is one immediate transaction: its read, the caller's decision and its write hold SQLite's
 * write lock together, so other connections, in this process or another, queue behind it. Passes
 * the same contract tests as the browser's IndexedDB store.
 */
export class SqliteQueueStore implements QueueStore<Blob> {
  readonly #db: Database.Database;
  readonly #files: QueueFiles;

  /** Opens (creating if needed) the queue in `dir`, and deletes bytes a crash left without a record. */
  constructor(dir: string) {
    fs.mkdirSync(dir, { recursive: true });
    this.#files = new QueueFiles(path.join(dir, 'files'));
    this.#db = new Database(path.join(dir, 'queue.db'));
    // Another process (or connection) writing: wait for it instead of failing.
    this.#db.pragma('busy_timeout = 5000');
    this.#db.pragma('journal_mode = WAL');
    // Confirmed offsets live here: a commit must survive power loss, not only a crash.
    this.#db.pragma('synchronous = FULL');
    migrate(
      this.#db,
      MIGRATIONS,
      (version) => `queue.db has schema version ${version}, newer than this version of Tender knows`,
    );
    const named = this.#db.prepare('SELECT file FROM items WHERE file IS NOT NULL').pluck().all() as string[];
    this.#files.sweep(new Set(named), ORPHAN_IDLE_MS);
  }

  /** Closes the database; the store cannot be used after. */
  close(): void {
    this.#db.close();
  }

  async all(): Promise<QueueItem[]> {
    const records = this.#db.prepare('SELECT record FROM items').pluck().all() as string[];
    return records.map((record) => JSON.parse(record) as QueueItem);
  }

  async get(id: string): Promise<QueueItem | undefined> {
    const row = this.#row(id);
    return row && (JSON.parse(row.record) as QueueItem);
  }

  async add(files: NewFile<Blob>[]): Promise<void> {
    const names: string[] = [];
    try {
      for (const { blob } of files) names.push(await this.#files.write(blob));
      await this.#files.syncDir();
      const insert = this.#db.prepare('INSERT INTO items (id, record, file) VALUES (?, ?, ?)');
      this.#write(() => {
        for (const [i, { item }] of files.entries()) insert.run(item.id, JSON.stringify(item), names[i]);
      });
    } catch (error) {
      await this.#files.delete(names);
      throw error;
    }
  }

  /**
   * Adds a record whose bytes are already on this disk at `source` (a relay's completed upload):
   * linked, not copied, and kept here until released or removed whatever happens to `source`.
   */
  async addLinked(item: QueueItem, source: string): Promise<void> {
    const name = await this.#files.link(source);
    try {
      await this.#files.syncDir();
      this.#write(() => {
        this.#db
          .prepare('INSERT INTO items (id, record, file) VALUES (?, ?, ?)')
          .run(item.id, JSON.stringify(item), name);
      });
    } catch (error) {
      await this.#files.delete([name]);
      throw error;
    }
  }

  async update(id: string, change: Change): Promise<QueueItem | undefined> {
    return this.#write(() => {
      const row = this.#row(id);
      if (!row) return undefined;
      const current = JSON.parse(row.record) as QueueItem;
      const patch = change(structuredClone(current));
      if (!patch) return current;
      const next = { ...current, ...patch, id };
      this.#db.prepare('UPDATE items SET record = ? WHERE id = ?').run(JSON.stringify(next), id);
      return next;
    });
  }

  async blob(id: string): Promise<Blob | undefined> {
    const row = this.#row(id);
    if (!row?.file) return undefined;
    return this.#files.open(row.file, (JSON.parse(row.record) as QueueItem).type);
  }

  async release(id: string, now: number): Promise<QueueItem | undefined> {
    const { item, file } = this.#write(() => {
      const row = this.#row(id);
      if (!row) return { item: undefined, file: null };
      const current = JSON.parse(row.record) as QueueItem;
      if (!releasable(current)) return { item: current, file: null };
      const next = { ...current, releasedAt: now };
      this.#db.prepare('UPDATE items SET record = ?, file = NULL WHERE id = ?').run(JSON.stringify(next), id);
      return { item: next, file: row.file };
    });
    // After the commit: a crash before this leaves an orphan, which the next open deletes.
    if (file) await this.#files.delete([file]);
    return item;
  }

  async remove(id: string): Promise<void> {
    const file = this.#write(() => {
      const row = this.#row(id);
      this.#db.prepare('DELETE FROM items WHERE id = ?').run(id);
      return row?.file ?? null;
    });
    if (file) await this.#files.delete([file]);
  }

  #row(id: string): Row | undefined {
    return this.#db.prepare('SELECT record, file FROM items WHERE id = ?').get(id) as Row | undefined;
  }

  /** Runs `work` as one immediate transaction; a write SQLite refuses becomes a StoreWriteError. */
  #write<T>(work: () => T): T {
    try {
      return this.#db.transaction(work).immediate();
    } catch (error) {
      throw error instanceof Database.SqliteError ? refusedWrite(error) : error;
    }
  }
}
