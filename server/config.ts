import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Server settings, read once at start from environment variables. */
export type TenderConfig = {
  port: number;
  host: string;
  /** Absolute; holds tender.db and files/. */
  dataDir: string;
  /** Absolute; the built PWA (vite's dist/). */
  staticDir: string;
  /** A connection with no bytes read or written for this long is destroyed. */
  idleTimeoutMs: number;
  /** Unfinished uploads older than this (from creation) are deleted; 0 keeps them forever. */
  uploadExpiryMs: number;
};

// setTimeout and socket.setTimeout silently turn larger values into 1 ms.
const MAX_TIMER_MS = 2_147_483_647;
// Generous on purpose: a boat can be offline for weeks, and an expired upload restarts from zero.
const DEFAULT_EXPIRY_MS = 30 * 24 * 60 * 60 * 1000;

/** Reads and validates settings; throws an Error naming the variable when a value is invalid. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): TenderConfig {
  return {
    port: readInt(env, 'PORT', 8080, 0, 65_535),
    host: readString(env, 'HOST', '127.0.0.1'),
    dataDir: path.resolve(readString(env, 'TENDER_DATA_DIR', './data')),
    staticDir: path.resolve(readString(env, 'TENDER_STATIC_DIR', path.join(findRepoRoot(), 'dist'))),
    idleTimeoutMs: readInt(env, 'TENDER_IDLE_TIMEOUT_MS', 60_000, 1, MAX_TIMER_MS),
    uploadExpiryMs: readInt(env, 'TENDER_UPLOAD_EXPIRY_MS', DEFAULT_EXPIRY_MS, 0, Number.MAX_SAFE_INTEGER),
  };
}

function readString(env: NodeJS.ProcessEnv, name: string, fallback: string): string {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  if (/\s/.test(raw)) throw new Error(`Invalid ${name}: ${JSON.stringify(raw)} must not contain whitespace`);
  return raw;
}

function readInt(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    throw new Error(`Invalid ${name}: ${JSON.stringify(raw)} is not an integer from ${min} to ${max}`);
  }
  return value;
}

// Walk up instead of a fixed '..' so the same code works from server/*.ts and build/server/*.js.
function findRepoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
  return dir;
}
