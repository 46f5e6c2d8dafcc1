// TENDER_TEST_BACKENDS=fleet runs the black-box server suites on the fleet's backends: PostgreSQL,
// Redis and S3 on Swift, started once for the run (fleetServices.setup.ts), each server (by its data
// directory) on its own schema and key prefixes. Two servers on one data directory share them, as
// they would share files.
import fs from 'node:fs';
import { inject } from 'vitest';
import { freeBytes } from '../../../server/disk.ts';
import { fleetEnv } from './fleetServices.ts';

/** Whether this run's test servers use the fleet's backends. */
export const onFleet = process.env.TENDER_TEST_BACKENDS === 'fleet';

const envs = new Map<string, Record<string, string>>();

/**
 * The environment that puts the server (or CLI) on `dataDir` on the fleet's backends; empty unless
 * TENDER_TEST_BACKENDS=fleet. The same directory always gets the same schema and prefixes.
 */
export async function backendEnv(dataDir: string): Promise<Record<string, string>> {
  if (!onFleet) return {};
  const known = envs.get(dataDir);
  if (known) return known;
  const { TENDER_ADMIN_TOKEN: _, ...env } = fleetEnv(inject('fleetServices'), dataDir);
  // S3 has no free-space figure: the bucket may hold what the data directory's disk has free, so
  // the suites' TENDER_MIN_FREE_BYTES (set from that disk) mean the same on S3.
  fs.mkdirSync(dataDir, { recursive: true });
  env.TENDER_S3_CAPACITY_BYTES = String(await freeBytes(dataDir));
  envs.set(dataDir, env);
  return env;
}
