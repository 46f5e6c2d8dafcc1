import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { derive, type EnrolmentCodes, KEEP_MS, type Redemption, seal, unseal } from '../enrolmentCodes.ts';
import { inTransaction } from './transaction.ts';

type Row = { device_id: string; sealed: Buffer | null; expires_at: string; used_at: string | null };

/**
 * Enrolment codes in PostgreSQL, sealed exactly as in SQLite: rows are found by a hash of the code and
 * the token is encrypted under a key derived from it. Redeeming locks the row, so of two instances
 * redeeming one code at once, one gets the token and the other is told "used".
 */
export class PgEnrolmentCodes implements EnrolmentCodes {
  private readonly pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.pool = pool;
  }

  async issue(deviceId: string, token: string, ttlMs: number, now = Date.now()): Promise<string> {
    const code = randomBytes(16).toString('base64url');
    await inTransaction(this.pool, async (client) => {
      await client.query('DELETE FROM enrolment_codes WHERE expires_at < $1', [
        new Date(now - KEEP_MS).toISOString(),
      ]);
      await client.query(
        'INSERT INTO enrolment_codes (lookup, device_id, sealed, expires_at) VALUES ($1, $2, $3, $4)',
        [derive('lookup', code), deviceId, seal(token, code), new Date(now + ttlMs).toISOString()],
      );
    });
    return code;
  }

  async redeem(code: string, now = Date.now()): Promise<Redemption> {
    const lookup = derive('lookup', code);
    return inTransaction(this.pool, async (client): Promise<Redemption> => {
      const { rows } = await client.query<Row>(
        'SELECT device_id, sealed, expires_at, used_at FROM enrolment_codes WHERE lookup = $1 FOR UPDATE',
        [lookup],
      );
      const row = rows[0];
      if (!row) return { ok: false, reason: 'unknown' };
      if (row.used_at || !row.sealed) return { ok: false, reason: 'used' };
      if (row.expires_at < new Date(now).toISOString()) return { ok: false, reason: 'expired' };
      await client.query('UPDATE enrolment_codes SET used_at = $1, sealed = NULL WHERE lookup = $2', [
        new Date(now).toISOString(),
        lookup,
      ]);
      return { ok: true, deviceId: row.device_id, token: unseal(row.sealed, code) };
    });
  }
}
