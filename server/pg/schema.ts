import type pg from 'pg';

/** The channel on which the database announces revocations and drop requests (payload: the schema). */
export const CHANGES_CHANNEL = 'tender_changes';

// Taken around migrating, so instances starting together migrate one after the other.
const MIGRATION_LOCK = 7_364_520_011;

// Index i upgrades schema version i to i + 1. Only append: databases in the field migrate forward.
// Times are ISO 8601 text in the "C" collation, as in SQLite, so filters and ordering compare them
// exactly as the SQLite repositories do; `seq` stands in for SQLite's rowid (insertion order).
const MIGRATIONS = [
  `CREATE TABLE uploads (
     seq BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
     id TEXT COLLATE "C" PRIMARY KEY,
     name TEXT COLLATE "C" NOT NULL,
     type TEXT COLLATE "C" NOT NULL,
     size BIGINT NOT NULL,
     sha256 TEXT COLLATE "C" NOT NULL,
     metadata TEXT COLLATE "C" NOT NULL,
     received_at TEXT COLLATE "C" NOT NULL,
     started_at TEXT COLLATE "C",
     device_id TEXT COLLATE "C",
     duplicate_of TEXT COLLATE "C",
     path TEXT COLLATE "C"
   );
   CREATE INDEX uploads_received_at ON uploads (received_at, seq);
   CREATE INDEX uploads_sha256 ON uploads (sha256, size);
   CREATE INDEX uploads_device ON uploads (device_id, received_at);
   CREATE TABLE devices (
     seq BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
     id TEXT COLLATE "C" PRIMARY KEY,
     name TEXT NOT NULL,
     token_hash BYTEA NOT NULL UNIQUE,
     created_at TEXT COLLATE "C" NOT NULL,
     revoked_at TEXT COLLATE "C",
     last_seen_at TEXT COLLATE "C"
   );
   CREATE TABLE partials (
     seq BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
     id TEXT COLLATE "C" PRIMARY KEY,
     device_id TEXT COLLATE "C" NOT NULL,
     size BIGINT NOT NULL,
     acked BIGINT NOT NULL DEFAULT 0,
     metadata TEXT NOT NULL,
     created_at TEXT COLLATE "C" NOT NULL,
     completed_at TEXT COLLATE "C",
     sha256 TEXT,
     target TEXT,
     drop_requested_at TEXT COLLATE "C"
   );
   CREATE INDEX partials_device ON partials (device_id);
   CREATE TABLE enrolment_codes (
     lookup BYTEA PRIMARY KEY,
     device_id TEXT COLLATE "C" NOT NULL,
     sealed BYTEA,
     expires_at TEXT COLLATE "C" NOT NULL,
     used_at TEXT COLLATE "C"
   );`,
  // Every instance listens; whoever revokes a device or asks for a drop (CLI, admin API, plain SQL),
  // the database itself tells them, once the change commits.
  `CREATE FUNCTION tender_announce_change() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     PERFORM pg_notify('${CHANGES_CHANNEL}', TG_TABLE_SCHEMA);
     RETURN NULL;
   END $$;
   CREATE TRIGGER devices_revoked AFTER UPDATE OF revoked_at ON devices
     FOR EACH ROW WHEN (OLD.revoked_at IS DISTINCT FROM NEW.revoked_at)
     EXECUTE FUNCTION tender_announce_change();
   CREATE TRIGGER partials_drop_requested AFTER UPDATE OF drop_requested_at ON partials
     FOR EACH ROW WHEN (OLD.drop_requested_at IS DISTINCT FROM NEW.drop_requested_at)
     EXECUTE FUNCTION tender_announce_change();`,
];

/** The schema version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Creates `schema` if missing and brings it up to date; `client`'s search_path must name it. Holds an advisory lock meanwhile, so two
 * instances starting at once do not both apply a migration; each migration commits with its version.
 */
export async function migrate(client: pg.ClientBase, schema = 'public'): Promise<void> {
  await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
  try {
    // Under the lock too: CREATE SCHEMA IF NOT EXISTS run twice at once fails in one of them.
    if (schema !== 'public') await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(schema)}`);
    await client.query('CREATE TABLE IF NOT EXISTS tender_schema (version INTEGER NOT NULL)');
    const { rows } = await client.query<{ version: number }>('SELECT version FROM tender_schema');
    let version = rows[0]?.version ?? 0;
    if (!rows.length) await client.query('INSERT INTO tender_schema (version) VALUES (0)');
    if (version > MIGRATIONS.length) {
      throw new Error(
        `the PostgreSQL schema has version ${version}, newer than this server knows; upgrade Tender`,
      );
    }
    for (const sql of MIGRATIONS.slice(version)) {
      await client.query('BEGIN');
      try {
        await client.query(sql);
        await client.query('UPDATE tender_schema SET version = $1', [++version]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      }
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
  }
}

/** A schema name, quoted; only plain identifiers are accepted. */
export function quoteIdentifier(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(name)) throw new Error(`invalid PostgreSQL schema name ${name}`);
  return `"${name}"`;
}
