import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { LinkSnapshot } from '../shared/linkEstimator.ts';
import { defaultSettings, type LinkSettings, readSettings } from '../shared/linkSettings.ts';
import type { LinkSnapshots } from '../shared/linkWatch.ts';
import {
  addSpend,
  type DaySpend,
  emptyDay,
  isDaySpend,
  oldestKeptDay,
  type SpendKind,
  SpendLedger,
} from '../shared/spendLedger.ts';
import type { SettingsSource, SpendStore } from '../shared/uploadRules.ts';
import { localDay } from '../shared/zonedDate.ts';
import { migrate } from './migrate.ts';

// Index i upgrades schema version i to i + 1. Only append.
const MIGRATIONS = [
  `CREATE TABLE state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
   CREATE TABLE spend (day TEXT PRIMARY KEY, value TEXT NOT NULL);`,
];

const SETTINGS_KEY = 'link-settings';
const SNAPSHOT_KEY = 'link-snapshot';

/**
 * What an uploader running in Node keeps beside its queue (`<dir>/state.db`): the link settings it
 * works under, what it learned of the link, and the bytes it put on the link per local day. The
 * same data the worker keeps in IndexedDB, read and written through the same interfaces.
 */
export class SqliteAgentState implements SettingsSource, SpendStore, LinkSnapshots {
  readonly #db: Database.Database;

  constructor(dir: string) {
    fs.mkdirSync(dir, { recursive: true });
    this.#db = new Database(path.join(dir, 'state.db'));
    this.#db.pragma('busy_timeout = 5000');
    this.#db.pragma('journal_mode = WAL');
    migrate(this.#db, MIGRATIONS, () => `${dir}/state.db is newer than this Tender; upgrade it`);
  }

  close(): void {
    this.#db.close();
  }

  /** A value kept under `key` by whoever runs the uploader (e.g. since when a relay forwards). */
  value(key: string): unknown {
    return this.#get(key);
  }

  setValue(key: string, value: unknown): void {
    this.#put(key, value);
  }

  #get(key: string): unknown {
    const raw = this.#db.prepare('SELECT value FROM state WHERE key = ?').pluck().get(key) as
      | string
      | undefined;
    return raw === undefined ? undefined : JSON.parse(raw);
  }

  #put(key: string, value: unknown): void {
    this.#db
      .prepare(
        'INSERT INTO state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      )
      .run(key, JSON.stringify(value));
  }

  /** The stored settings; defaults (in this machine's time zone) for anything missing or invalid. */
  async settings(): Promise<LinkSettings> {
    return readSettings(this.#get(SETTINGS_KEY), defaultSettings());
  }

  /** Replaces the settings as a whole; pass settings validateSettings returned. */
  async setSettings(settings: LinkSettings): Promise<void> {
    this.#put(SETTINGS_KEY, settings);
  }

  async linkSnapshot(): Promise<LinkSnapshot | undefined> {
    const stored = this.#get(SNAPSHOT_KEY);
    return stored && typeof stored === 'object' && 'history' in stored ? (stored as LinkSnapshot) : undefined;
  }

  async setLinkSnapshot(snapshot: LinkSnapshot): Promise<void> {
    this.#put(SNAPSHOT_KEY, snapshot);
  }

  /** Adds `bytes` to the local day of `atMs`; the first count of a day drops days older than KEEP_DAYS. */
  async record(bytes: number, atMs: number, kind: SpendKind, timeZone: string): Promise<DaySpend> {
    const day = localDay(atMs, timeZone);
    return this.#db
      .transaction(() => {
        const raw = this.#db.prepare('SELECT value FROM spend WHERE day = ?').pluck().get(day) as
          | string
          | undefined;
        const stored: unknown = raw === undefined ? undefined : JSON.parse(raw);
        const next = addSpend(isDaySpend(stored) ? stored : emptyDay(day), bytes, kind);
        this.#db
          .prepare(
            'INSERT INTO spend (day, value) VALUES (?, ?) ON CONFLICT (day) DO UPDATE SET value = excluded.value',
          )
          .run(day, JSON.stringify(next));
        if (raw === undefined) this.#db.prepare('DELETE FROM spend WHERE day < ?').run(oldestKeptDay(day));
        return next;
      })
      .immediate();
  }

  async ledger(timeZone: string): Promise<SpendLedger> {
    const rows = this.#db.prepare('SELECT value FROM spend ORDER BY day').pluck().all() as string[];
    return new SpendLedger(
      timeZone,
      rows.map((r) => JSON.parse(r)),
    );
  }
}
