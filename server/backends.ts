import path from 'node:path';
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import { type Locker, MemoryLocker } from '@tus/server';
import type { TenderConfig } from './config.ts';
import { watchDatabase } from './databaseWatch.ts';
import { openDatabase } from './db.ts';
import { type Devices, SqliteDevices } from './devices.ts';
import { type EnrolmentCodes, SqliteEnrolmentCodes } from './enrolmentCodes.ts';
import { FileBytes } from './fileBytes.ts';
import type { S3Config } from './fleetConfig.ts';
import { type DeviceLimits, MemoryDeviceLimits } from './limits.ts';
import type { Logger } from './log.ts';
import { type Partials, SqlitePartials } from './partials.ts';
import { MemoryPatchProgress, type PatchProgress } from './patchProgress.ts';
import { openPostgres } from './pg/index.ts';
import { SqliteUploadRecords, type UploadRecords } from './records.ts';
import { openRedisShared } from './redisShared.ts';
import { S3Bytes } from './s3/s3Bytes.ts';
import type { UploadBytes } from './uploadBytes.ts';

/** One dependency's state, as /healthz reports it. */
export type Check = { ok: boolean; reason?: string };

/** A dependency /healthz asks about; any one down makes it answer 503. */
export type Probe = { name: string; check(): Promise<Check> };

/** The storage and shared state one instance runs on, whichever config chose. */
export type Backends = {
  devices: Devices;
  codes: EnrolmentCodes;
  records: UploadRecords;
  partials: Partials;
  bytes: UploadBytes;
  /** The same bytes when they are local files (relay mode needs them); null on S3. */
  files: FileBytes | null;
  locker: Locker;
  receiving: PatchProgress;
  limits: DeviceLimits;
  /** Database, Redis and S3 bucket, as configured. */
  probes: Probe[];
  /**
   * Calls `onChange` when someone else revoked a device or asked for a drop: the CLI on SQLite
   * (polled), any instance or the CLI on PostgreSQL (notified). Returns a function that stops it.
   */
  watch(onChange: () => void): () => void;
  /** Closes what was opened, in reverse order. */
  close(): Promise<void>;
};

// A dependency that does not answer within this long counts as down: /healthz must answer promptly.
const PROBE_TIMEOUT_MS = 2000;

/**
 * Opens the backends `config` chose: PostgreSQL for TENDER_DATABASE_URL, else SQLite in the data
 * directory; Redis for TENDER_REDIS_URL, else memory; S3 for TENDER_S3_BUCKET, else files. What
 * opened before a failure is closed again before the error is thrown.
 */
export async function openBackends(config: TenderConfig, log: Logger): Promise<Backends> {
  const closers: Array<() => unknown> = [];
  const close = async () => {
    for (const closer of closers.reverse()) await closer();
    closers.length = 0;
  };
  try {
    const probes: Probe[] = [];
    const limitsOptions = {
      rate: config.deviceRate,
      burst: config.deviceBurst,
      maxOpen: config.deviceMaxOpen,
    };
    let store: Pick<Backends, 'devices' | 'codes' | 'records' | 'partials' | 'watch'>;
    if (config.database) {
      const pg = await openPostgres({
        connectionString: config.database.url,
        schema: config.database.schema,
      });
      closers.push(() => pg.close());
      probes.push(dependency('database', () => pg.pool.query('SELECT 1')));
      store = {
        ...pg,
        watch: (onChange) => {
          const watch = pg.watch(onChange, {
            onError: (error) => log('warn', 'database watch lost', { error: String(error) }),
          });
          return () => void watch.stop();
        },
      };
    } else {
      const db = openDatabase(config.dataDir);
      closers.push(() => db.close());
      probes.push(dependency('database', async () => db.prepare('SELECT 1').get()));
      store = {
        devices: new SqliteDevices(db),
        codes: new SqliteEnrolmentCodes(db),
        records: new SqliteUploadRecords(db),
        partials: new SqlitePartials(db),
        watch: (onChange) => watchDatabase(db, config.watchIntervalMs, onChange),
      };
    }
    let shared: Pick<Backends, 'locker' | 'receiving' | 'limits'>;
    if (config.redis) {
      const redis = await openRedisShared({
        url: config.redis.url,
        prefix: config.redis.prefix,
        limits: limitsOptions,
      });
      closers.push(() => redis.close());
      // ioredis retries by itself; say once that Redis went away, and why, in the log and /healthz.
      let lastError: string | undefined;
      redis.redis.on('error', (error: Error) => {
        if (lastError === undefined) log('warn', 'redis unreachable', { error: error.message });
        lastError = error.message;
      });
      redis.redis.on('ready', () => {
        lastError = undefined;
      });
      probes.push(
        dependency('redis', async () => {
          const { status } = redis.redis;
          if (status !== 'ready') throw new Error(`not connected (${lastError ?? status})`);
          await redis.redis.ping();
        }),
      );
      shared = redis;
    } else {
      shared = {
        locker: new MemoryLocker(),
        receiving: new MemoryPatchProgress(),
        limits: new MemoryDeviceLimits(limitsOptions),
      };
    }
    const bytes = await openBytes(config, probes, closers);
    const files = bytes instanceof FileBytes ? bytes : null;
    return { ...store, ...shared, bytes, files, probes, close };
  } catch (error) {
    await close().catch(() => {});
    throw error;
  }
}

async function openBytes(
  config: TenderConfig,
  probes: Probe[],
  closers: Array<() => unknown>,
): Promise<UploadBytes> {
  const s3 = config.s3;
  if (!s3) return new FileBytes(config.dataDir);
  // The bytes' own client answers the health probe too: one connection pool, closed with the rest.
  const bytes = s3BytesFor(s3, path.join(config.dataDir, 's3-staging'));
  closers.push(() => bytes.destroy());
  const head = () =>
    bytes.headBucket().catch((error: unknown) => {
      throw new Error(errorText(error));
    });
  // A wrong bucket, endpoint or key is found at start, not with the first upload.
  await head().catch((error: Error) => {
    throw new Error(`S3 bucket ${s3.bucket} is not reachable: ${error.message}`);
  });
  probes.push(dependency('s3', head));
  return bytes;
}

/**
 * Where `config` keeps uploads' bytes: files in the data directory, or S3 with requests in
 * progress staged in `stagingDir` (nothing there is needed to resume on another instance).
 */
export function uploadBytesFor(
  config: Pick<TenderConfig, 'dataDir' | 's3'>,
  stagingDir = path.join(config.dataDir, 's3-staging'),
): UploadBytes {
  return config.s3 ? s3BytesFor(config.s3, stagingDir) : new FileBytes(config.dataDir);
}

function s3BytesFor(s3: S3Config, stagingDir: string): S3Bytes {
  return new S3Bytes({
    client: s3Client(s3),
    bucket: s3.bucket,
    prefix: s3.prefix,
    stagingDir,
    capacityBytes: s3.capacityBytes,
  });
}

function s3Client(s3: S3Config): S3ClientConfig {
  return {
    endpoint: s3.endpoint,
    region: s3.region,
    credentials: s3.credentials,
    forcePathStyle: s3.forcePathStyle,
    // Tender checks every byte with its own SHA-256s; the SDK's extra checksums (aws-chunked bodies)
    // are what S3 APIs other than AWS, Swift's among them, refuse.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
}

// The SDK's errors for a HEAD carry no message, only a name and a status.
function errorText(error: unknown): string {
  const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  return [e.name, e.message && e.message !== 'UnknownError' ? e.message : '', status && `HTTP ${status}`]
    .filter(Boolean)
    .join(': ');
}

/** A probe that fails when `ask` throws or takes longer than PROBE_TIMEOUT_MS. */
export function dependency(name: string, ask: () => Promise<unknown>): Probe {
  return {
    name,
    check: async () => {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`)),
          PROBE_TIMEOUT_MS,
        );
      });
      const asked = ask();
      // A late answer's failure is nobody's concern; the report already says it was late.
      asked.catch(() => {});
      try {
        await Promise.race([asked, late]);
        return { ok: true };
      } catch (error) {
        return { ok: false, reason: error instanceof Error ? error.message : String(error) };
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
