import type pg from 'pg';
import {
  type RecordQuery,
  type RecordRow,
  recordConditions,
  fromRow as recordOf,
  type UploadRecord,
  type UploadRecords,
} from '../records.ts';
import { inTransaction, int } from './transaction.ts';

type Row = Omit<RecordRow, 'size'> & { size: string };

const COLUMNS =
  'id, name, type, size, sha256, metadata, received_at, started_at, device_id, duplicate_of, path';
const INSERT = `INSERT INTO uploads (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                ON CONFLICT (id) DO NOTHING`;

/**
 * Completed uploads in PostgreSQL's `uploads` table. Filters match SQLite's: LIKE there ignores
 * ASCII case only, as ILIKE does here under the "C" collation the columns use; PostgreSQL's LIKE
 * escapes with a backslash by default, as the SQLite queries ask for explicitly.
 */
export class PgUploadRecords implements UploadRecords {
  private readonly pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.pool = pool;
  }

  async add(record: UploadRecord): Promise<boolean> {
    return (await this.pool.query(INSERT, params(record))).rowCount === 1;
  }

  async addCompleted(record: UploadRecord): Promise<boolean> {
    return inTransaction(this.pool, async (client) => {
      const added = (await client.query(INSERT, params(record))).rowCount === 1;
      await client.query('DELETE FROM partials WHERE id = $1', [record.id]);
      return added;
    });
  }

  async list(query: RecordQuery = {}): Promise<UploadRecord[]> {
    const values: (string | number)[] = [];
    const param = (value: string | number) => `$${values.push(value)}`;
    const where = recordConditions(query, param, (column, pattern) => `${column} ILIKE ${pattern}`);
    const limit = param(query.limit ?? 100);
    const offset = param(query.offset ?? 0);
    const sql = `SELECT ${COLUMNS} FROM uploads ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
                 ORDER BY received_at DESC, seq DESC LIMIT ${limit} OFFSET ${offset}`;
    return (await this.pool.query<Row>(sql, values)).rows.map(fromRow);
  }

  async get(id: string): Promise<UploadRecord | undefined> {
    const { rows } = await this.pool.query<Row>(`SELECT ${COLUMNS} FROM uploads WHERE id = $1`, [id]);
    return rows[0] && fromRow(rows[0]);
  }

  async findContent(sha256: string, size: number): Promise<UploadRecord | undefined> {
    const { rows } = await this.pool.query<Row>(
      `SELECT ${COLUMNS} FROM uploads WHERE sha256 = $1 AND size = $2
       ORDER BY duplicate_of IS NOT NULL, received_at, seq LIMIT 1`,
      [sha256, size],
    );
    return rows[0] && fromRow(rows[0]);
  }
}

function params(r: UploadRecord): (string | number | null)[] {
  return [
    r.id,
    r.name,
    r.type,
    r.size,
    r.sha256,
    JSON.stringify(r.metadata),
    r.receivedAt,
    r.startedAt,
    r.deviceId,
    r.duplicateOf,
    r.path,
  ];
}

function fromRow(row: Row): UploadRecord {
  return recordOf({ ...row, size: int(row.size) });
}
