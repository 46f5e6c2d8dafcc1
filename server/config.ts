import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseOrigins } from './cors.ts';
import { DEFAULT_ALLOWED_TYPES } from './fileTypes.ts';
import { type DatabaseConfig, type RedisConfig, readFleet, type S3Config } from './fleetConfig.ts';

/** Server settings, read once at start from environment variables. */
export type TenderConfig = {
  port: number;
  host: string;
  /** Absolute; holds tender.db, admin-token, files/ (unfinished) and uploads/ (completed). */
  dataDir: string;
  /** Absolute; the built PWA (vite's dist/). */
  staticDir: string;
  /** A connection with no bytes read or written for this long is destroyed. */
  idleTimeoutMs: number;
  /** Unfinished uploads older than this (from creation) are deleted; 0 keeps them forever. */
  uploadExpiryMs: number;
  /** How often expired uploads are looked for. */
  sweepIntervalMs: number;
  /** From TENDER_ADMIN_TOKEN; when unset, one is generated into `<dataDir>/admin-token`. */
  adminToken: string | undefined;
  /** Base URL devices reach the server at, for enrolment links; defaults to the server's own URL. */
  publicUrl: string | undefined;
  /** Largest upload accepted (announced as Tus-Max-Size). */
  maxUploadBytes: number;
  /** Media-type patterns accepted in `filetype` metadata. */
  allowedTypes: string[];
  /** New uploads are refused (507) when they would leave less free disk than this. */
  minFreeBytes: number;
  /** Per-device average requests per second, burst size, and open PATCH/POST requests. */
  deviceRate: number;
  deviceBurst: number;
  deviceMaxOpen: number;
  /** Per-device caps on unfinished uploads: their total size, and how many. */
  deviceMaxReservedBytes: number;
  deviceMaxUnfinished: number;
  /** How often the database is checked for revocations and drops made by the CLI. */
  watchIntervalMs: number;
  /** How long an enrolment link's one-time code works. */
  enrolmentCodeTtlMs: number;
  /** Open connections allowed in total and from one address; more are closed at once. */
  maxConnections: number;
  maxConnectionsPerAddress: number;
  /** A request's headers (which carry its token) must arrive within this long. */
  headersTimeoutMs: number;
  /** PEM file paths; both set means HTTPS. */
  tlsCert: string | undefined;
  tlsKey: string | undefined;
  /** Origins allowed to call the server from a page served elsewhere; none by default. */
  corsOrigins: Set<string>;
  /** TENDER_TEST_FAULTS=1 enables POST /__test/faults. Never in production. */
  testFaults: boolean;
  /**
   * Relay mode (TENDER_FORWARD_TO and TENDER_FORWARD_TOKEN): every completed upload is forwarded to
   * the shore server at `to`, as the ship's device whose token is `token`. Null on shore.
   */
  forward: { to: string; token: string } | null;
  /** Names this instance in /metrics and /healthz (TENDER_INSTANCE_ID, else `hostname:port`). */
  instanceId: string | undefined;
  /** The fleet's backends (see fleetConfig.ts); each null means the embedded default. */
  database: DatabaseConfig | null;
  redis: RedisConfig | null;
  s3: S3Config | null;
};

// setTimeout and socket.setTimeout silently turn larger values into 1 ms.
const MAX_TIMER_MS = 2_147_483_647;
// Generous on purpose: a boat can be offline for weeks, and an expired upload restarts from zero.
const DEFAULT_EXPIRY_MS = 30 * 24 * 60 * 60 * 1000;
const GIB = 1024 ** 3;

/**
 * Reads and validates settings; throws an Error naming the variable when a value is invalid.
 * `tool` (the CLI) skips the rules a serving instance needs (shared locks, one admin token).
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, { tool = false } = {}): TenderConfig {
  const tlsCert = optional(env, 'TENDER_TLS_CERT');
  const tlsKey = optional(env, 'TENDER_TLS_KEY');
  if (!tlsCert !== !tlsKey) throw new Error('Set both TENDER_TLS_CERT and TENDER_TLS_KEY, or neither');
  const adminToken = optional(env, 'TENDER_ADMIN_TOKEN');
  if (adminToken !== undefined && adminToken.length < 16) {
    throw new Error(
      'Invalid TENDER_ADMIN_TOKEN: use at least 16 characters (e.g. `openssl rand -base64 32`)',
    );
  }
  const publicUrl = optional(env, 'TENDER_PUBLIC_URL');
  if (publicUrl !== undefined && !/^https?:\/\/[^/]+(\/.*)?$/.test(publicUrl)) {
    throw new Error(`Invalid TENDER_PUBLIC_URL: ${JSON.stringify(publicUrl)} is not an http(s) URL`);
  }
  const types = env.TENDER_ALLOWED_TYPES?.trim();
  const fleet = readFleet(env, { optional, readInt }, tool);
  if (fleet.database && !adminToken && !tool) {
    throw new Error(
      'Set TENDER_ADMIN_TOKEN with TENDER_DATABASE_URL: every instance sharing the database must accept the same admin token',
    );
  }
  const forward = readForward(env);
  if (forward && fleet.s3) {
    throw new Error('Relay mode (TENDER_FORWARD_TO) keeps its outbox on local files: unset TENDER_S3_BUCKET');
  }
  return {
    ...fleet,
    instanceId: optional(env, 'TENDER_INSTANCE_ID'),
    forward,
    port: readInt(env, 'PORT', 8080, 0, 65_535),
    host: readString(env, 'HOST', '127.0.0.1'),
    dataDir: path.resolve(readString(env, 'TENDER_DATA_DIR', './data')),
    staticDir: path.resolve(readString(env, 'TENDER_STATIC_DIR', path.join(findRepoRoot(), 'dist'))),
    idleTimeoutMs: readInt(env, 'TENDER_IDLE_TIMEOUT_MS', 60_000, 1, MAX_TIMER_MS),
    uploadExpiryMs: readInt(env, 'TENDER_UPLOAD_EXPIRY_MS', DEFAULT_EXPIRY_MS, 0, Number.MAX_SAFE_INTEGER),
    sweepIntervalMs: readInt(env, 'TENDER_SWEEP_INTERVAL_MS', 60 * 60 * 1000, 100, MAX_TIMER_MS),
    adminToken,
    publicUrl: publicUrl?.replace(/\/+$/, ''),
    maxUploadBytes: readInt(env, 'TENDER_MAX_UPLOAD_BYTES', 5 * GIB, 1, Number.MAX_SAFE_INTEGER),
    allowedTypes: types ? types.split(',').map((t) => t.trim()) : DEFAULT_ALLOWED_TYPES,
    minFreeBytes: readInt(env, 'TENDER_MIN_FREE_BYTES', GIB, 0, Number.MAX_SAFE_INTEGER),
    deviceRate: readInt(env, 'TENDER_DEVICE_RATE', 20, 1, 1_000_000),
    deviceBurst: readInt(env, 'TENDER_DEVICE_BURST', 100, 1, 1_000_000),
    deviceMaxOpen: readInt(env, 'TENDER_DEVICE_MAX_OPEN', 4, 1, 10_000),
    deviceMaxReservedBytes: readInt(
      env,
      'TENDER_DEVICE_MAX_RESERVED_BYTES',
      20 * GIB,
      1,
      Number.MAX_SAFE_INTEGER,
    ),
    deviceMaxUnfinished: readInt(env, 'TENDER_DEVICE_MAX_UNFINISHED', 128, 1, 100_000),
    watchIntervalMs: readInt(env, 'TENDER_WATCH_INTERVAL_MS', 500, 10, 60_000),
    enrolmentCodeTtlMs: readInt(env, 'TENDER_ENROLMENT_CODE_TTL_MS', 60 * 60 * 1000, 1000, MAX_TIMER_MS),
    maxConnections: readInt(env, 'TENDER_MAX_CONNECTIONS', 1000, 1, 1_000_000),
    maxConnectionsPerAddress: readInt(env, 'TENDER_MAX_CONNECTIONS_PER_ADDRESS', 64, 1, 1_000_000),
    headersTimeoutMs: readInt(env, 'TENDER_HEADERS_TIMEOUT_MS', 10_000, 100, MAX_TIMER_MS),
    tlsCert: tlsCert && path.resolve(tlsCert),
    tlsKey: tlsKey && path.resolve(tlsKey),
    corsOrigins: parseOrigins(env.TENDER_CORS_ORIGINS),
    testFaults: env.TENDER_TEST_FAULTS === '1',
  };
}

/** TENDER_FORWARD_TO and TENDER_FORWARD_TOKEN: both or neither. */
function readForward(env: NodeJS.ProcessEnv): TenderConfig['forward'] {
  const to = optional(env, 'TENDER_FORWARD_TO');
  const token = optional(env, 'TENDER_FORWARD_TOKEN');
  if (!to && !token) return null;
  if (!to || !token) throw new Error('Set both TENDER_FORWARD_TO and TENDER_FORWARD_TOKEN, or neither');
  if (!/^https?:\/\/[^/]+\/?$/.test(to)) {
    throw new Error(
      `Invalid TENDER_FORWARD_TO: ${JSON.stringify(to)} must be the shore server's base URL, e.g. https://shore.example.com`,
    );
  }
  return { to: to.replace(/\/+$/, ''), token };
}

/** The base URL for enrolment links: TENDER_PUBLIC_URL, else `serverUrl` with a loopback or wildcard host as localhost. */
export function publicBaseUrl(config: Pick<TenderConfig, 'publicUrl'>, serverUrl: string): string {
  if (config.publicUrl) return config.publicUrl;
  const url = new URL(serverUrl);
  // Service workers need a secure context; http://localhost is one, http://127.0.0.1 is not everywhere.
  if (['127.0.0.1', '0.0.0.0', '[::]', '[::1]'].includes(url.hostname)) url.hostname = 'localhost';
  return url.origin;
}

export function optional(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const raw = env[name]?.trim();
  return raw ? readString(env, name, raw) : undefined;
}

function readString(env: NodeJS.ProcessEnv, name: string, fallback: string): string {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  if (/\s/.test(raw)) throw new Error(`Invalid ${name}: ${JSON.stringify(raw)} must not contain whitespace`);
  return raw;
}

export function readInt(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
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
