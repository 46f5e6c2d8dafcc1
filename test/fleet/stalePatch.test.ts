// A client whose PATCH stalled on one instance resumes through another: the resume's request for
// the upload's lock (through Redis) ends the stale PATCH at once, as within one server.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bytes, hangingPatch, startServer, type TestServer, tempDir } from '../server/helpers.ts';
import { type FleetServices, fleetEnv, startFleetServices } from '../support/fleet/fleetServices.ts';
import { pollUntil } from '../support/pollUntil.ts';

let services: FleetServices;
let a: TestServer;
let b: TestServer;

beforeAll(async () => {
  services = await startFleetServices();
  const env = fleetEnv(services, tempDir());
  a = await startServer({ ...env, TENDER_INSTANCE_ID: 'a' });
  // Each instance its own directory: with S3 it holds only requests in progress.
  b = await startServer({ ...env, TENDER_DATA_DIR: tempDir(), TENDER_INSTANCE_ID: 'b' });
}, 120_000);

afterAll(async () => {
  await b?.close();
  await a?.close();
  await services?.stop();
});

it('a HEAD through another instance ends the stale PATCH at once, and the upload finishes there', async () => {
  const file = bytes(3 * 1024 * 1024, 5);
  const device = await a.enroll('Bridge tablet');
  const url = await a.create(device, file.length, { filename: 'log.bin' });
  const hung = hangingPatch(device, url, 0, file.length, file.subarray(0, 1024 * 1024));
  await hung.written;
  await pollUntil(
    'server a to receive the first MiB',
    () => a.metric('tender_bytes_received_total'),
    (n) => n >= 1024 * 1024,
  );

  const asked = Date.now();
  const head = await b.head(device, url.replace(a.url, b.url));
  const answeredMs = Date.now() - asked;
  await hung.closed;
  const closedMs = Date.now() - asked;
  expect(head.status).toBe(200);
  const offset = Number(head.headers.get('upload-offset'));
  expect(offset).toBe(1024 * 1024);
  expect(await a.metric('tender_stale_patches_closed_total')).toBe(1);
  // @tus/server alone would leave the stale request open and hold the lock up to its 3 s drain.
  expect(closedMs).toBeLessThan(1500);
  console.log(`Stale PATCH on a ended ${closedMs} ms after b asked; b answered HEAD in ${answeredMs} ms`);

  const rest = await b.patch(device, url.replace(a.url, b.url), offset, file.subarray(offset));
  expect(rest.status).toBe(204);
  expect(Number(rest.headers.get('upload-offset'))).toBe(file.length);
});
