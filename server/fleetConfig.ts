/** Records, devices and unfinished uploads in PostgreSQL instead of `<dataDir>/tender.db`. */
export type DatabaseConfig = {
  /** TENDER_DATABASE_URL, e.g. `postgres://tender:secret@db.internal:5432/tender`. */
  url: string;
  /** TENDER_DATABASE_SCHEMA (default `public`). */
  schema: string;
};

/** Upload locks, open-PATCH progress and per-device limits in Redis instead of this process's memory. */
export type RedisConfig = {
  /** TENDER_REDIS_URL, e.g. `redis://redis.internal:6379/0`. */
  url: string;
  /** TENDER_REDIS_PREFIX: prefix of every key and channel (default `tender:`). */
  prefix: string;
};

/** Uploads' bytes on an S3 API instead of `<dataDir>/files` and `<dataDir>/uploads`. */
export type S3Config = {
  /** TENDER_S3_BUCKET; it must exist. */
  bucket: string;
  /** TENDER_S3_ENDPOINT, e.g. `http://swift.internal:8080`; unset means AWS. */
  endpoint: string | undefined;
  /** TENDER_S3_REGION (default `us-east-1`). */
  region: string;
  /** TENDER_S3_ACCESS_KEY_ID and TENDER_S3_SECRET_ACCESS_KEY; unset means the AWS SDK's own lookup. */
  credentials: { accessKeyId: string; secretAccessKey: string } | undefined;
  /** TENDER_S3_FORCE_PATH_STYLE (1 or 0): default 1 with an endpoint (most S3 APIs but AWS), else 0. */
  forcePathStyle: boolean;
  /** TENDER_S3_PREFIX: prepended to every key (default none). */
  prefix: string;
  /** TENDER_S3_CAPACITY_BYTES: what the bucket may hold, for the refusal of uploads that would not fit. */
  capacityBytes: number | undefined;
};

export type FleetConfig = { database: DatabaseConfig | null; redis: RedisConfig | null; s3: S3Config | null };

type Readers = {
  optional(env: NodeJS.ProcessEnv, name: string): string | undefined;
  readInt(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number;
};

/**
 * The backend switches. None set is the embedded server (files on disk, SQLite, memory). Storage
 * another instance can reach (PostgreSQL, S3) needs locks every instance sees (Redis), unless the
 * operator states that one instance is all there is (TENDER_SINGLE_INSTANCE=1); S3 bytes need
 * PostgreSQL for the same reason, since an unfinished upload's state lives beside its records.
 */
export function readFleet(env: NodeJS.ProcessEnv, read: Readers, tool = false): FleetConfig {
  const databaseUrl = read.optional(env, 'TENDER_DATABASE_URL');
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new Error(
      'Invalid TENDER_DATABASE_URL: use a postgres:// URL, e.g. postgres://tender@db:5432/tender',
    );
  }
  const schema = read.optional(env, 'TENDER_DATABASE_SCHEMA');
  if (schema !== undefined && !databaseUrl)
    throw new Error('TENDER_DATABASE_SCHEMA needs TENDER_DATABASE_URL');
  if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new Error(
      `Invalid TENDER_DATABASE_SCHEMA: ${JSON.stringify(schema)} must be lower-case letters, digits and _`,
    );
  }
  const redisUrl = read.optional(env, 'TENDER_REDIS_URL');
  if (redisUrl !== undefined && !/^rediss?:\/\//.test(redisUrl)) {
    throw new Error('Invalid TENDER_REDIS_URL: use a redis:// (or rediss://) URL, e.g. redis://redis:6379/0');
  }
  const fleet: FleetConfig = {
    database: databaseUrl ? { url: databaseUrl, schema: schema ?? 'public' } : null,
    redis: redisUrl
      ? { url: redisUrl, prefix: read.optional(env, 'TENDER_REDIS_PREFIX') ?? 'tender:' }
      : null,
    s3: readS3(env, read),
  };
  // A tool (the CLI) writes the database directly and takes no upload locks.
  const single = tool || env.TENDER_SINGLE_INSTANCE?.trim() === '1';
  if (fleet.s3 && !fleet.database && !single) {
    throw new Error(
      'TENDER_S3_BUCKET needs TENDER_DATABASE_URL: other instances can only resume an upload whose state is in PostgreSQL (or set TENDER_SINGLE_INSTANCE=1 if this instance is the only one)',
    );
  }
  if ((fleet.s3 || fleet.database) && !fleet.redis && !single) {
    const shared = fleet.s3 ? 'TENDER_S3_BUCKET' : 'TENDER_DATABASE_URL';
    throw new Error(
      `${shared} shares uploads between instances, which must then share their upload locks: set TENDER_REDIS_URL (or TENDER_SINGLE_INSTANCE=1 if this instance is the only one)`,
    );
  }
  return fleet;
}

function readS3(env: NodeJS.ProcessEnv, read: Readers): S3Config | null {
  const names = Object.keys(env).filter((name) => name.startsWith('TENDER_S3_') && env[name]?.trim());
  const bucket = read.optional(env, 'TENDER_S3_BUCKET');
  if (!bucket) {
    if (names.length) throw new Error(`${names[0]} needs TENDER_S3_BUCKET (the bucket uploads are kept in)`);
    return null;
  }
  const endpoint = read.optional(env, 'TENDER_S3_ENDPOINT');
  if (endpoint !== undefined && !/^https?:\/\/[^/]+\/?$/.test(endpoint)) {
    throw new Error(`Invalid TENDER_S3_ENDPOINT: ${JSON.stringify(endpoint)} must be an http(s) base URL`);
  }
  const accessKeyId = read.optional(env, 'TENDER_S3_ACCESS_KEY_ID');
  const secretAccessKey = read.optional(env, 'TENDER_S3_SECRET_ACCESS_KEY');
  if (!accessKeyId !== !secretAccessKey) {
    throw new Error('Set both TENDER_S3_ACCESS_KEY_ID and TENDER_S3_SECRET_ACCESS_KEY, or neither');
  }
  const pathStyle = read.optional(env, 'TENDER_S3_FORCE_PATH_STYLE');
  if (pathStyle !== undefined && pathStyle !== '0' && pathStyle !== '1') {
    throw new Error(`Invalid TENDER_S3_FORCE_PATH_STYLE: ${JSON.stringify(pathStyle)} must be 1 or 0`);
  }
  const capacity = read.optional(env, 'TENDER_S3_CAPACITY_BYTES');
  return {
    bucket,
    endpoint,
    region: read.optional(env, 'TENDER_S3_REGION') ?? 'us-east-1',
    credentials: accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined,
    forcePathStyle: pathStyle === undefined ? endpoint !== undefined : pathStyle === '1',
    prefix: read.optional(env, 'TENDER_S3_PREFIX') ?? '',
    capacityBytes:
      capacity === undefined
        ? undefined
        : read.readInt(env, 'TENDER_S3_CAPACITY_BYTES', 0, 1, Number.MAX_SAFE_INTEGER),
  };
}
