import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** A fresh opaque credential: 32 random bytes, base64url. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** SHA-256 of a token, the only form in which device tokens are stored. */
export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** Compares two secrets in time independent of where they differ. */
export function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(hashToken(a), hashToken(b));
}

/** The bearer token of an Authorization header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer +([A-Za-z0-9._~+/=-]+) *$/i.exec(header ?? '');
  return match?.[1];
}

/** Where the admin token came from, for the start-up message. */
export type AdminToken = { token: string; source: 'env' | 'file'; file: string; created: boolean };

/**
 * `TENDER_ADMIN_TOKEN` when set; otherwise `<dataDir>/admin-token`, created (mode 0600) on first use.
 */
export function loadAdminToken(dataDir: string, fromEnv: string | undefined): AdminToken {
  const file = path.join(dataDir, 'admin-token');
  if (fromEnv) return { token: fromEnv, source: 'env', file, created: false };
  fs.mkdirSync(dataDir, { recursive: true });
  try {
    const token = fs.readFileSync(file, 'utf8').trim();
    if (token) return { token, source: 'file', file, created: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const token = newToken();
  // 'wx': two processes starting at once must not overwrite each other's token.
  try {
    fs.writeFileSync(file, `${token}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return loadAdminToken(dataDir, undefined);
    throw error;
  }
  return { token, source: 'file', file, created: true };
}
