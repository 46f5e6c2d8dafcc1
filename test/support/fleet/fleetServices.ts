// The services a fleet of Tender instances shares, started once for a test file, and the
// environment that puts an instance on them (each caller its own schema and key prefix).
import { randomBytes } from 'node:crypto';
import { type PostgresService, startPostgres } from './postgres.ts';
import { type RedisService, startRedis } from './redis.ts';

export type FleetServices = { postgres: PostgresService; redis: RedisService; stop(): Promise<void> };

/** Starts PostgreSQL and Redis side by side. */
export async function startFleetServices(): Promise<FleetServices> {
  const [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
  return {
    postgres,
    redis,
    stop: async () => {
      await redis.stop();
      await postgres.stop();
    },
  };
}

/**
 * Environment for one installation on `services`: a fresh schema and Redis prefix, the admin token
 * every instance must share, and `dataDir` for the uploads' files (instances of one installation
 * on one host share it).
 */
export function fleetEnv(services: FleetServices, dataDir: string): Record<string, string> {
  const name = `t_${randomBytes(6).toString('hex')}`;
  return {
    TENDER_DATA_DIR: dataDir,
    TENDER_ADMIN_TOKEN: 'test-admin-token-0123456789abcdef',
    TENDER_DATABASE_URL: services.postgres.connectionString,
    TENDER_DATABASE_SCHEMA: name,
    TENDER_REDIS_URL: services.redis.url,
    TENDER_REDIS_PREFIX: `${name}:`,
  };
}
