import pg from 'pg';
import { type ChangesOptions, type ChangesWatch, watchChanges } from './changes.ts';
import { PgDevices } from './devices.ts';
import { PgEnrolmentCodes } from './enrolmentCodes.ts';
import { PgPartials } from './partials.ts';
import { PgUploadRecords } from './records.ts';
import { migrate, quoteIdentifier } from './schema.ts';

export type { ChangesWatch } from './changes.ts';

/** Where the fleet's records and devices live. */
export type PostgresOptions = {
  /** e.g. `postgres://tender:secret@db.internal:5432/tender` (libpq's URL form; `?sslmode=` works). */
  connectionString: string;
  /**
   * Schema holding Tender's tables, created if missing (default `public`). Lets several Tender
   * installations, or tests, share one database.
   */
  schema?: string;
  /** Pooled connections per instance (default 10); the change watch holds one more. */
  maxConnections?: number;
};

/** The repositories of one instance over a shared PostgreSQL, and what it must release on close. */
export type PostgresRepositories = {
  pool: pg.Pool;
  devices: PgDevices;
  codes: PgEnrolmentCodes;
  records: PgUploadRecords;
  partials: PgPartials;
  /**
   * Calls `onChange` when a device is revoked or a drop is requested by anyone, this instance
   * included; the fleet's counterpart of watchDatabase (see changes.ts).
   */
  watch(onChange: () => void, options?: Pick<ChangesOptions, 'onError' | 'retryMs'>): ChangesWatch;
  /** Ends the pool; stop any watch first. */
  close(): Promise<void>;
};

/**
 * Connects to PostgreSQL, brings Tender's schema up to date (safely while other instances start:
 * migrations run under an advisory lock) and returns the repositories. Every instance of a fleet
 * opens its own with the same options; what one commits, the others read at once.
 */
export async function openPostgres(options: PostgresOptions): Promise<PostgresRepositories> {
  const schema = options.schema ?? 'public';
  const connection: pg.ClientConfig = {
    connectionString: options.connectionString,
    // Acknowledged upload offsets are written here: a commit must be on disk before it returns,
    // whatever the server's default.
    options: `-c search_path=${quoteIdentifier(schema)} -c synchronous_commit=on`,
  };
  const pool = new pg.Pool({ ...connection, max: options.maxConnections ?? 10 });
  // A connection the server drops (a restart, a failover, pg_terminate_backend) must not take the
  // process down, idle or while the pool ends it: queries on it fail and the next one reconnects.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  try {
    const client = await pool.connect();
    try {
      await migrate(client, schema);
    } finally {
      client.release();
    }
  } catch (error) {
    await pool.end();
    throw error;
  }
  return {
    pool,
    devices: new PgDevices(pool),
    codes: new PgEnrolmentCodes(pool),
    records: new PgUploadRecords(pool),
    partials: new PgPartials(pool),
    watch: (onChange, options) => watchChanges({ ...options, connection, schema }, onChange),
    close: () => pool.end(),
  };
}
