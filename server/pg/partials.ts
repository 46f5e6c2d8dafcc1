import type pg from 'pg';
import { type Partial, type PartialRow, type Partials, partialOf, type Reserved } from '../partials.ts';
import { inTransaction, int } from './transaction.ts';

type Row = Omit<PartialRow, 'size' | 'acked'> & { size: string; acked: string };

// First key of the per-device advisory locks that make a quota check and its insert one step.
const DEVICE_QUOTA_LOCK = 7_364_520;
const COLUMNS =
  'id, device_id, size, acked, metadata, created_at, completed_at, sha256, target, drop_requested_at';
const RESERVED = `SELECT COUNT(*) AS count, SUM(size) AS bytes FROM partials
                  WHERE device_id = $1 AND completed_at IS NULL AND drop_requested_at IS NULL`;

/** Unfinished uploads in PostgreSQL's `partials` table, shared by every instance of the fleet. */
export class PgPartials implements Partials {
  private readonly pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.pool = pool;
  }

  async create<R>(
    p: Pick<Partial, 'id' | 'deviceId' | 'size' | 'metadata' | 'createdAt'>,
    admit: (reserved: Reserved) => R | undefined,
  ): Promise<R | undefined> {
    return inTransaction(this.pool, async (client) => {
      // Held until commit: another instance creating for this device waits here, then sees this row.
      await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [DEVICE_QUOTA_LOCK, p.deviceId]);
      const refusal = admit(await reserved(client, p.deviceId));
      if (refusal !== undefined) return refusal;
      await client.query(
        'INSERT INTO partials (id, device_id, size, acked, metadata, created_at) VALUES ($1, $2, $3, 0, $4, $5)',
        [p.id, p.deviceId, p.size, JSON.stringify(p.metadata), p.createdAt],
      );
      return undefined;
    });
  }

  async get(id: string): Promise<Partial | undefined> {
    const { rows } = await this.pool.query<Row>(`SELECT ${COLUMNS} FROM partials WHERE id = $1`, [id]);
    return rows[0] && fromRow(rows[0]);
  }

  async all(): Promise<Partial[]> {
    return this.select(`SELECT ${COLUMNS} FROM partials ORDER BY created_at, seq`, []);
  }

  async ack(id: string, offset: number): Promise<void> {
    await this.pool.query('UPDATE partials SET acked = $1 WHERE id = $2', [offset, id]);
  }

  async markComplete(id: string, completion: { at: string; sha256: string; target: string }): Promise<void> {
    await this.pool.query(
      'UPDATE partials SET acked = size, completed_at = $1, sha256 = $2, target = $3 WHERE id = $4',
      [completion.at, completion.sha256, completion.target, id],
    );
  }

  async delete(id: string): Promise<void> {
    await this.pool.query('DELETE FROM partials WHERE id = $1', [id]);
  }

  async outstandingBytes(): Promise<number> {
    const { rows } = await this.pool.query<{ n: string | null }>(
      `SELECT SUM(p.size - p.acked) AS n FROM partials p JOIN devices d ON d.id = p.device_id
       WHERE d.revoked_at IS NULL AND p.drop_requested_at IS NULL`,
    );
    return int(rows[0]?.n);
  }

  async reservedBy(deviceId: string): Promise<Reserved> {
    return reserved(this.pool, deviceId);
  }

  async ofDevice(deviceId: string): Promise<Partial[]> {
    return this.select(
      `SELECT ${COLUMNS} FROM partials WHERE device_id = $1 AND completed_at IS NULL ORDER BY created_at, seq`,
      [deviceId],
    );
  }

  async requestDrop(deviceId: string): Promise<number> {
    const result = await this.pool.query(
      `UPDATE partials SET drop_requested_at = COALESCE(drop_requested_at, $1)
       WHERE device_id = $2 AND completed_at IS NULL`,
      [new Date().toISOString(), deviceId],
    );
    return result.rowCount ?? 0;
  }

  async abandoned(): Promise<Partial[]> {
    return this.select(
      `SELECT ${COLUMNS.replace(/\w+/g, 'p.$&')} FROM partials p LEFT JOIN devices d ON d.id = p.device_id
       WHERE p.completed_at IS NULL
         AND (d.id IS NULL OR d.revoked_at IS NOT NULL OR p.drop_requested_at IS NOT NULL)
       ORDER BY p.created_at, p.seq`,
      [],
    );
  }

  async expired(createdBefore: string): Promise<Partial[]> {
    return this.select(
      `SELECT ${COLUMNS} FROM partials WHERE created_at < $1 AND completed_at IS NULL ORDER BY created_at, seq`,
      [createdBefore],
    );
  }

  private async select(sql: string, params: unknown[]): Promise<Partial[]> {
    return (await this.pool.query<Row>(sql, params)).rows.map(fromRow);
  }
}

async function reserved(db: pg.Pool | pg.PoolClient, deviceId: string): Promise<Reserved> {
  const { rows } = await db.query<{ count: string; bytes: string | null }>(RESERVED, [deviceId]);
  return { count: int(rows[0]?.count), bytes: int(rows[0]?.bytes) };
}

function fromRow(row: Row): Partial {
  return partialOf({ ...row, size: int(row.size), acked: int(row.acked) });
}
