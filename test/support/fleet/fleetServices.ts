// The services a fleet of Tender instances shares, and the
// environment that puts an instance on them (each caller its own schema and key prefixes).
import { randomBytes } from 'node:crypto';
import { type PostgresService, startPostgres } from './postgres.ts';
import { type RedisService, startRedis } from './redis.ts';
import { type SwiftS3Service, startSwiftS3 } from './swiftS3.ts';

export type FleetServices = {
  postgres: PostgresService;
  redis: RedisService;
  /** Uploads' bytes on S3; without it, instances keep them in a data directory they share. */
  swift: SwiftS3Service | undefined;
  stop(): Promise<void>;
};

/** What an instance needs to reach the services: plain data, so a Vitest global setup can provide it. */
export type FleetAddresses = {
  postgres: Pick<PostgresService, 'connectionString'>;
  redis: Pick<RedisService, 'url'>;
  swift:
    | (Pick<SwiftS3Service, 'endpoint' | 'bucket' | 'accessKeyId' | 'secretAccessKey'> & {
        clientConfig: { region: string };
      })
    | undefined;
};

/**
 * Starts PostgreSQL, Redis and (unless `s3: false`) Swift's S3 side by side; `maxConnections` is
 * PostgreSQL's (default 40).
 */
export async function startFleetServices({
  s3 = true,
  maxConnections = 40,
}: {
  s3?: boolean;
  maxConnections?: number;
} = {}): Promise<FleetServices> {
  const [postgres, redis, swift] = await Promise.all([
    startPostgres({ maxConnections }),
    startRedis(),
    s3 ? startSwiftS3() : undefined,
  ]);
  return {
    postgres,
    redis,
    swift,
    stop: async () => {
      await swift?.stop();
      await redis.stop();
      await postgres.stop();
    },
  };
}

/**
 * Environment for one installation on `services`: a fresh schema and Redis and S3 prefix, the admin
 * token every instance must share, and `dataDir` (on S3 only for requests in progress, so each
 * instance may have its own; on files the uploads themselves, shared by instances on one host).
 */
export function fleetEnv(services: FleetAddresses, dataDir: string): Record<string, string> {
  const name = `t_${randomBytes(6).toString('hex')}`;
  const { swift } = services;
  return {
    TENDER_DATA_DIR: dataDir,
    TENDER_ADMIN_TOKEN: 'test-admin-token-0123456789abcdef',
    TENDER_DATABASE_URL: services.postgres.connectionString,
    TENDER_DATABASE_SCHEMA: name,
    TENDER_REDIS_URL: services.redis.url,
    TENDER_REDIS_PREFIX: `${name}:`,
    ...(swift && {
      TENDER_S3_ENDPOINT: swift.endpoint,
      TENDER_S3_BUCKET: swift.bucket,
      TENDER_S3_ACCESS_KEY_ID: swift.accessKeyId,
      TENDER_S3_SECRET_ACCESS_KEY: swift.secretAccessKey,
      TENDER_S3_REGION: swift.clientConfig.region,
      TENDER_S3_PREFIX: `${name}/`,
    }),
  };
}
