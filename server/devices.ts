import { randomBytes, timingSafeEqual } from 'node:crypto';
import type Database from 'better-sqlite3';
import { hashToken, newToken } from './tokens.ts';

/** An enrolled device as listed to the operator (never with its token). */
export type Device = {
  deviceId: string;
  name: string;
  createdAt: string;
  revokedAt: string | null;
  lastSeenAt: string | null;
};

/** A freshly enrolled device with its one-time visible token. */
export type Enrolment = { deviceId: string; name: string; token: string };

/** Why a device token was refused, or the device it belongs to. */
export type DeviceAuth = { ok: true; device: Device } | { ok: false; reason: 'unknown' | 'revoked' };

/** A `devices` row as SQL databases hold it. */
export type DeviceRow = {
  id: string;
  name: string;
  token_hash: Buffer;
  created_at: string;
  revoked_at: string | null;
  last_seen_at: string | null;
};

/** Longest device name accepted; it ends up in folder names and the admin UI. */
export const MAX_DEVICE_NAME = 100;
// A busy device would otherwise cost a database write per request (per instance).
const LAST_SEEN_RESOLUTION_MS = 60_000;

/** Enrolled devices and their credentials. Asynchronous so a networked database can stand behind it. */
export interface Devices {
  /** Creates a device and returns its token, which is not stored anywhere in clear. */
  enroll(name: string): Promise<Enrolment>;
  /** All devices, oldest first. */
  list(): Promise<Device[]>;
  /** One device by id. */
  get(deviceId: string): Promise<Device | undefined>;
  /** Marks a device revoked; false if there is no such device. Revoking twice keeps the first time. */
  revoke(deviceId: string): Promise<boolean>;
  /** The device a token belongs to, read afresh each time so a revocation applies at once. */
  authenticate(token: string): Promise<DeviceAuth>;
}

/** Device credentials in SQLite's `devices` table; tokens are stored as SHA-256 hashes. */
export class SqliteDevices implements Devices {
  private readonly db: Database.Database;
  private readonly lastSeen = new LastSeenWrites();
  private readonly byHash: Database.Statement<[Buffer], DeviceRow>;

  constructor(db: Database.Database) {
    this.db = db;
    this.byHash = db.prepare('SELECT * FROM devices WHERE token_hash = ?');
  }

  async enroll(name: string): Promise<Enrolment> {
    const clean = cleanDeviceName(name);
    const deviceId = randomBytes(8).toString('hex');
    const token = newToken();
    this.db
      .prepare('INSERT INTO devices (id, name, token_hash, created_at) VALUES (?, ?, ?, ?)')
      .run(deviceId, clean, hashToken(token), new Date().toISOString());
    return { deviceId, name: clean, token };
  }

  async list(): Promise<Device[]> {
    return this.db
      .prepare<[], DeviceRow>('SELECT * FROM devices ORDER BY created_at, rowid')
      .all()
      .map(deviceOf);
  }

  async get(deviceId: string): Promise<Device | undefined> {
    const row = this.db.prepare<[string], DeviceRow>('SELECT * FROM devices WHERE id = ?').get(deviceId);
    return row && deviceOf(row);
  }

  async revoke(deviceId: string): Promise<boolean> {
    const result = this.db
      .prepare('UPDATE devices SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?')
      .run(new Date().toISOString(), deviceId);
    return result.changes === 1;
  }

  async authenticate(token: string): Promise<DeviceAuth> {
    const hash = hashToken(token);
    const auth = authOf(this.byHash.get(hash), hash);
    if (auth.ok) this.touch(auth.device.deviceId);
    return auth;
  }

  private touch(deviceId: string): void {
    const now = Date.now();
    if (!this.lastSeen.due(deviceId, now)) return;
    this.db
      .prepare('UPDATE devices SET last_seen_at = ? WHERE id = ?')
      .run(new Date(now).toISOString(), deviceId);
  }
}

/** Trims a device name and checks it; throws an Error with a message fit for the operator. */
export function cleanDeviceName(name: unknown): string {
  if (typeof name !== 'string') throw new Error('device name must be a string');
  const clean = name.trim();
  if (!clean) throw new Error('device name must not be empty');
  if (clean.length > MAX_DEVICE_NAME)
    throw new Error(`device name is longer than ${MAX_DEVICE_NAME} characters`);
  if (/[\p{Cc}\p{Cf}]/u.test(clean)) throw new Error('device name must not contain control characters');
  return clean;
}

/** What the row found by a token's hash means: an unknown token, a revoked device, or the device. */
export function authOf(row: DeviceRow | undefined, hash: Buffer): DeviceAuth {
  // The lookup is by hash; the explicit comparison keeps the check honest if the query ever changes.
  if (!row || !timingSafeEqual(row.token_hash, hash)) return { ok: false, reason: 'unknown' };
  if (row.revoked_at) return { ok: false, reason: 'revoked' };
  return { ok: true, device: deviceOf(row) };
}

/** When this process last wrote each device's last-seen time: at most once per LAST_SEEN_RESOLUTION_MS. */
export class LastSeenWrites {
  private readonly written = new Map<string, number>();

  /** Whether `deviceId`'s last-seen time is due to be written at `now`; if so, it counts as written. */
  due(deviceId: string, now: number): boolean {
    if (now - (this.written.get(deviceId) ?? 0) < LAST_SEEN_RESOLUTION_MS) return false;
    this.written.set(deviceId, now);
    return true;
  }
}

/** The device a row holds. */
export function deviceOf(row: DeviceRow): Device {
  return {
    deviceId: row.id,
    name: row.name,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
    lastSeenAt: row.last_seen_at,
  };
}
