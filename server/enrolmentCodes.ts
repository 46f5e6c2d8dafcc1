import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';

/** The result of redeeming a code: the device's token, or why not. */
export type Redemption =
  | { ok: true; deviceId: string; token: string }
  | { ok: false; reason: 'unknown' | 'used' | 'expired' };

type Row = { device_id: string; sealed: Buffer | null; expires_at: string; used_at: string | null };

/** The link a device opens to enrol: the code rides in the fragment, which browsers never send. */
export function enrolmentLink(baseUrl: string, code: string): string {
  return `${baseUrl}/enroll#code=${code}`;
}

/** What a code looks like: 16 random bytes, base64url. */
export const ENROLMENT_CODE = /^[A-Za-z0-9_-]{22}$/;
// Used and expired codes are kept this long so a late scan is told "used" or "expired", not "unknown".
export const KEEP_MS = 7 * 24 * 60 * 60 * 1000;

/** Short-lived, single-use codes that stand for a device's token in an enrolment link or QR code. */
export interface EnrolmentCodes {
  /** A new code for `deviceId` that yields `token` once, within `ttlMs`. */
  issue(deviceId: string, token: string, ttlMs: number, now?: number): Promise<string>;
  /** Exchanges a code for its device's token; a code works once, and not after it expires. */
  redeem(code: string, now?: number): Promise<Redemption>;
}

/**
 * Enrolment codes in SQLite. The database holds neither the code nor the token in clear: rows are
 * found by a hash of the code, and the token is sealed (AES-256-GCM) under a key derived from the
 * code, so only the link opens it.
 */
export class SqliteEnrolmentCodes implements EnrolmentCodes {
  private readonly db: Database.Database;

  constructor(db: Database.Database) {
    this.db = db;
  }

  async issue(deviceId: string, token: string, ttlMs: number, now = Date.now()): Promise<string> {
    const code = randomBytes(16).toString('base64url');
    const sealed = seal(token, code);
    this.db.transaction(() => {
      this.db
        .prepare('DELETE FROM enrolment_codes WHERE expires_at < ?')
        .run(new Date(now - KEEP_MS).toISOString());
      this.db
        .prepare('INSERT INTO enrolment_codes (lookup, device_id, sealed, expires_at) VALUES (?, ?, ?, ?)')
        .run(derive('lookup', code), deviceId, sealed, new Date(now + ttlMs).toISOString());
    })();
    return code;
  }

  async redeem(code: string, now = Date.now()): Promise<Redemption> {
    const lookup = derive('lookup', code);
    return this.db
      .transaction((): Redemption => {
        const row = this.db
          .prepare<[Buffer], Row>(
            'SELECT device_id, sealed, expires_at, used_at FROM enrolment_codes WHERE lookup = ?',
          )
          .get(lookup);
        if (!row) return { ok: false, reason: 'unknown' };
        if (row.used_at || !row.sealed) return { ok: false, reason: 'used' };
        if (row.expires_at < new Date(now).toISOString()) return { ok: false, reason: 'expired' };
        this.db
          .prepare('UPDATE enrolment_codes SET used_at = ?, sealed = NULL WHERE lookup = ?')
          .run(new Date(now).toISOString(), lookup);
        return { ok: true, deviceId: row.device_id, token: unseal(row.sealed, code) };
      })
      .immediate();
  }
}

/** A key or row lookup derived from a code: `lookup` finds its row, `seal` encrypts its token. */
export function derive(purpose: 'lookup' | 'seal', code: string): Buffer {
  return createHash('sha256').update(`tender-enrolment-${purpose}\0${code}`).digest();
}

/** The device token encrypted (AES-256-GCM) under a key only the code yields: iv, ciphertext, tag. */
export function seal(token: string, code: string): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', derive('seal', code), iv);
  return Buffer.concat([iv, cipher.update(token, 'utf8'), cipher.final(), cipher.getAuthTag()]);
}

/** The token `seal` sealed under `code`; throws if either was tampered with. */
export function unseal(sealed: Buffer, code: string): string {
  const iv = sealed.subarray(0, 12);
  const tag = sealed.subarray(sealed.length - 16);
  const decipher = createDecipheriv('aes-256-gcm', derive('seal', code), iv);
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(sealed.subarray(12, sealed.length - 16)), decipher.final()]).toString(
    'utf8',
  );
}
