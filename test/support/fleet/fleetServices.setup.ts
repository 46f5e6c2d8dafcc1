// Vitest global setup of the fleet-backends project: PostgreSQL, Redis and Swift's S3 started once
// for the whole run and shared by every test file (each server on its own schema and key prefixes,
// see testBackends.ts), instead of once per file.
import type { TestProject } from 'vitest/node';
import { type FleetAddresses, startFleetServices } from './fleetServices.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Where this run's shared fleet services listen. */
    fleetServices: FleetAddresses;
  }
}

export default async function setup(project: TestProject) {
  // Two test files run at once, each with servers and CLI runs holding connections of their own.
  const services = await startFleetServices({ maxConnections: 100 });
  const { postgres, redis, swift } = services;
  project.provide('fleetServices', {
    postgres: { connectionString: postgres.connectionString },
    redis: { url: redis.url },
    swift: swift && {
      endpoint: swift.endpoint,
      bucket: swift.bucket,
      accessKeyId: swift.accessKeyId,
      secretAccessKey: swift.secretAccessKey,
      clientConfig: { region: swift.clientConfig.region },
    },
  });
  return () => services.stop();
}
