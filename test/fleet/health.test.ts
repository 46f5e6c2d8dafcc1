// /healthz on the fleet's backends: each dependency reported, 503 naming the one that stopped, so a
// load balancer takes the instance out and an operator sees why.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startServer, type TestServer, tempDir } from '../server/helpers.ts';
import { type FleetServices, fleetEnv, startFleetServices } from '../support/fleet/fleetServices.ts';

type Health = { ok: boolean; instance: string; checks: Record<string, { ok: boolean; reason?: string }> };

let services: FleetServices;
let server: TestServer;

beforeAll(async () => {
  services = await startFleetServices();
  server = await startServer({ ...fleetEnv(services, tempDir()), TENDER_INSTANCE_ID: 'deck-1' });
}, 120_000);

afterAll(async () => {
  await server?.close();
  await services?.stop();
});

async function health(): Promise<{ status: number; body: Health }> {
  const res = await fetch(`${server.url}/healthz`);
  return { status: res.status, body: (await res.json()) as Health };
}

it('reports the database, Redis, the S3 bucket and storage, and answers 503 naming whichever stopped', async () => {
  expect(await health()).toEqual({
    status: 200,
    body: {
      ok: true,
      instance: 'deck-1',
      checks: { database: { ok: true }, redis: { ok: true }, s3: { ok: true }, storage: { ok: true } },
    },
  });

  await services.redis.stop();
  const withoutRedis = await health();
  expect(withoutRedis.status).toBe(503);
  expect(withoutRedis.body.ok).toBe(false);
  expect(withoutRedis.body.checks.redis).toEqual({ ok: false, reason: expect.any(String) });
  expect(withoutRedis.body.checks.database).toEqual({ ok: true });

  await services.swift?.stop();
  const withoutS3 = await health();
  expect(withoutS3.status).toBe(503);
  expect(withoutS3.body.checks.s3).toEqual({ ok: false, reason: expect.any(String) });
  expect(withoutS3.body.checks.database).toEqual({ ok: true });

  await services.postgres.stop();
  const withoutEither = await health();
  expect(withoutEither.status).toBe(503);
  expect(withoutEither.body.checks.database).toEqual({ ok: false, reason: expect.any(String) });
  expect(withoutEither.body.checks.redis?.ok).toBe(false);
  console.log(
    `healthz with Redis, S3, then PostgreSQL stopped: ${JSON.stringify(withoutRedis.body.checks.redis)}, ` +
      `${JSON.stringify(withoutS3.body.checks.s3)}, ${JSON.stringify(withoutEither.body.checks.database)}`,
  );
});
