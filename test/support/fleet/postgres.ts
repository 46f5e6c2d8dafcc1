import { chownSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import {
  accountIds,
  freePort,
  makeServiceDir,
  removeDir,
  requireBinary,
  runToCompletion,
  ServiceProcess,
} from './serviceProcess.ts';

/** A running PostgreSQL on loopback: one superuser (`tender`, no password) and one database. */
export interface PostgresService {
  host: string;
  port: number;
  user: string;
  database: string;
  /** `postgres://tender@127.0.0.1:PORT/DATABASE` */
  connectionString: string;
  /** Milliseconds from the start of initdb until the database answered a query. */
  startupMs: number;
  pid: number;
  stop(): Promise<void>;
}

export interface PostgresOptions {
  /** Database created for the caller (default `tender`). */
  database?: string;
  /** PostgreSQL's max_connections (default 40). */
  maxConnections?: number;
}

/** Debian installs PostgreSQL under /usr/lib/postgresql/<major>/bin, off the PATH; newest first. */
function postgresBinDirs(): string[] {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((major) => /^\d+$/.test(major))
    .sort((a, b) => Number(b) - Number(a))
    .map((major) => join(root, major, 'bin'));
}

/**
 * Initialises a throwaway cluster in its own directory and starts PostgreSQL on a free loopback port,
 * durability off (fsync, full pages) since the data dies with the test. PostgreSQL refuses to run as
 * root, so under root it runs as Debian's `postgres` account.
 */
export async function startPostgres(options: PostgresOptions = {}): Promise<PostgresService> {
  const binDir = postgresBinDirs()[0] ?? '/usr/lib/postgresql/15/bin';
  const postgres = requireBinary('postgres', [join(binDir, 'postgres')], 'postgresql');
  const initdb = requireBinary('initdb', [join(binDir, 'initdb')], 'postgresql');
  const ids: { uid?: number; gid?: number } =
    process.getuid?.() === 0 ? accountIds('postgres', 'postgresql') : {};
  const dir = makeServiceDir('postgres');
  if (ids.uid !== undefined && ids.gid !== undefined) chownSync(dir, ids.uid, ids.gid);
  const data = join(dir, 'data');
  const user = 'tender';
  const database = options.database ?? 'tender';
  const env = { LC_ALL: 'C', LANG: 'C', HOME: dir };
  const started = Date.now();
  await runToCompletion({
    name: 'initdb',
    command: initdb,
    args: ['-D', data, '-U', user, '--auth=trust', '--no-sync', '--no-instructions', '-E', 'UTF8'],
    env,
    ...ids,
  });
  const port = await freePort();
  const service = new ServiceProcess({
    name: 'postgres',
    command: postgres,
    args: [
      ...['-D', data, '-p', String(port), '-k', dir],
      ...['-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'full_page_writes=off'],
      ...[
        '-c',
        'synchronous_commit=off',
        '-c',
        'shared_buffers=16MB',
        '-c',
        `max_connections=${options.maxConnections ?? 40}`,
      ],
    ],
    env,
    ...ids,
    // SIGINT is PostgreSQL's fast shutdown; SIGTERM would wait for every client to leave.
    stopSignal: 'SIGINT',
    exitSignal: 'SIGQUIT',
  });
  const stop = async () => {
    await service.stop();
    removeDir(dir);
  };
  const query = async (db: string, sql: string) => {
    const client = new pg.Client({ host: '127.0.0.1', port, user, database: db });
    try {
      await client.connect();
      await client.query(sql);
    } finally {
      await client.end().catch(() => {});
    }
  };
  try {
    await service.waitUntil('an answer to SELECT 1', async () => {
      await query('postgres', 'SELECT 1');
      return true;
    });
    if (database !== 'postgres')
      await query('postgres', `CREATE DATABASE "${database.replaceAll('"', '""')}"`);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    host: '127.0.0.1',
    port,
    user,
    database,
    connectionString: `postgres://${user}@127.0.0.1:${port}/${encodeURIComponent(database)}`,
    startupMs: Date.now() - started,
    pid: service.child.pid ?? 0,
    stop,
  };
}
