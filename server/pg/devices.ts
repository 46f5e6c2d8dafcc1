import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import {
  authOf,
  cleanDeviceName,
  type Device,
  type DeviceAuth,
  type DeviceRow,
  type Devices,
  deviceOf,
  type Enrolment,
  LastSeenWrites,
} from '../devices.ts';
import { hashToken, newToken } from '../tokens.ts';

const COLUMNS = 'id, name, token_hash, created_at, revoked_at, last_seen_at';

/** Device credentials in PostgreSQL's `devices` table; tokens are stored as SHA-256 hashes. */
export class PgDevices implements Devices {
  private readonly pool: pg.Pool;
  private readonly lastSeen = new LastSeenWrites();

  constructor(pool: pg.Pool) {
    this.pool = pool;
  }

  async enroll(name: string): Promise<Enrolment> {
    const clean = cleanDeviceName(name);
    const deviceId = randomBytes(8).toString('hex');
    const token = newToken();
    await this.pool.query('INSERT INTO devices (id, name, token_hash, created_at) VALUES ($1, $2, $3, $4)', [
      deviceId,
      clean,
      hashToken(token),
      new Date().toISOString(),
    ]);
    return { deviceId, name: clean, token };
  }

  async list(): Promise<Device[]> {
    const { rows } = await this.pool.query<DeviceRow>(
      `SELECT ${COLUMNS} FROM devices ORDER BY created_at, seq`,
    );
    return rows.map(deviceOf);
  }

  async get(deviceId: string): Promise<Device | undefined> {
    const { rows } = await this.pool.query<DeviceRow>(`SELECT ${COLUMNS} FROM devices WHERE id = $1`, [
      deviceId,
    ]);
    return rows[0] && deviceOf(rows[0]);
  }

  async revoke(deviceId: string): Promise<boolean> {
    const result = await this.pool.query(
      'UPDATE devices SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2',
      [new Date().toISOString(), deviceId],
    );
    return result.rowCount === 1;
  }

  async authenticate(token: string): Promise<DeviceAuth> {
    const hash = hashToken(token);
    const { rows } = await this.pool.query<DeviceRow>(
      `SELECT ${COLUMNS} FROM devices WHERE token_hash = $1`,
      [hash],
    );
    const auth = authOf(rows[0], hash);
    if (auth.ok) await this.touch(auth.device.deviceId);
    return auth;
  }

  private async touch(deviceId: string): Promise<void> {
    const now = Date.now();
    if (!this.lastSeen.due(deviceId, now)) return;
    // Several instances may touch at once; the latest time wins.
    await this.pool.query('UPDATE devices SET last_seen_at = GREATEST(last_seen_at, $1) WHERE id = $2', [
      new Date(now).toISOString(),
      deviceId,
    ]);
  }
}
