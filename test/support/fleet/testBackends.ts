// TENDER_TEST_BACKENDS=fleet runs the black-box server suites on the fleet's backends: PostgreSQL,
// Redis and S3 on Swift, started once per test file, each server (by its data directory) on its own
// schema and key prefixes. Two servers on one data directory share them, as they would share files.
import { randomBytes } from 'node:crypto';
import { afterAll } from 'vitest';
import { type PostgresService, startPostgres } from './postgres.ts';
import { type RedisService, startRedis } from './redis.ts';

/** Whether this run's test servers use the fleet's backends. */
export const onFleet = process.env.TENDER_TEST_BACKENDS === 'fleet';

type Services = { postgres: PostgresService; redis: RedisService };

let services: Promise<Services> | undefined;
const envs = new Map<string, Record<string, string>>();

if (onFleet) {
  afterAll(async () => {
    const started = await services?.catch(() => undefined);
    await started?.redis.stop();
    await started?.postgres.stop();
  });
}

async function start(): Promise<Services> {
  const [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
  return { postgres, redis };
}

/**
 * The environment that puts the server (or CLI) on `dataDir` on the fleet's backends; empty unless
 * TENDER_TEST_BACKENDS=fleet. The same directory always gets the same schema and prefixes.
 */
export async function backendEnv(dataDir: string): Promise<Record<string, string>> {
  if (!onFleet) return {};
  const known = envs.get(dataDir);
  if (known) return known;
  services ??= start();
  const { postgres, redis } = await services;
  const name = `t_${randomBytes(6).toString('hex')}`;
  const env = {
    TENDER_DATABASE_URL: postgres.connectionString,
    TENDER_DATABASE_SCHEMA: name,
    TENDER_REDIS_URL: redis.url,
    TENDER_REDIS_PREFIX: `${name}:`,
  };
  envs.set(dataDir, env);
  return env;
}
