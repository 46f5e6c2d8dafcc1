import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createTender, type Tender, type TenderOptions } from '../../server/app.ts';
import { uploadBytesFor } from '../../server/backends.ts';
import { loadConfig } from '../../server/config.ts';
import { silentLogger } from '../../server/log.ts';
import type { UploadBytes } from '../../server/uploadBytes.ts';
import { backendEnv, onFleet } from '../support/fleet/testBackends.ts';
import { metricValue } from '../support/metrics.ts';

/** The header every tus request but OPTIONS carries. */
export const TUS = { 'Tus-Resumable': '1.0.0' } as const;
/** The Content-Type of a tus PATCH body. */
export const OCTETS = 'application/offset+octet-stream';
/** The admin token every test server is started with. */
export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';
/** Headers that authenticate as the operator. */
export const ADMIN = { Authorization: `Bearer ${ADMIN_TOKEN}` } as const;

export { makeFile as bytes, sha256 } from '../support/content.ts';

/** Base64 of a UTF-8 string. */
export const b64 = (s: string) => Buffer.from(s).toString('base64');
/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Encodes tus Upload-Metadata. */
export function encodeMetadata(metadata: Record<string, string>): string {
  return Object.entries(metadata)
    .map(([k, v]) => `${k} ${b64(v)}`)
    .join(',');
}

/** An enrolled device and the headers its requests carry. */
export type TestDevice = {
  deviceId: string;
  token: string;
  enrollUrl: string;
  headers: Record<string, string>;
};

/** A Tender server on a random port with its own temporary data directory. */
export type TestServer = {
  tender: Tender;
  url: string;
  dataDir: string;
  enroll(name?: string): Promise<TestDevice>;
  /** Creates an upload as `device`; returns its absolute URL. */
  create(device: TestDevice, size: number, metadata?: Record<string, string>): Promise<string>;
  patch(
    device: TestDevice,
    url: string,
    offset: number,
    body: Buffer,
    headers?: Record<string, string>,
  ): Promise<Response>;
  head(device: TestDevice, url: string): Promise<Response>;
  metric(name: string): Promise<number>;
  /** Uploads' bytes as this server keeps them (files, or S3 in a fleet run), read the way it reads them. */
  stored: UploadBytes;
  /** Stops the server and deletes its directories; `keepData` leaves the data directory (shared with another). */
  close(options?: { keepData?: boolean }): Promise<void>;
};

let counter = 0;

/** A fresh temporary directory, removed by the caller (or the OS). */
export function tempDir(prefix = 'tender-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * Starts a real server (in this process, real HTTP on 127.0.0.1:0); with TENDER_TEST_BACKENDS=fleet
 * on PostgreSQL and Redis (see testBackends.ts).
 */
export async function startServer(
  env: Record<string, string> = {},
  options: TenderOptions = {},
): Promise<TestServer> {
  const root = tempDir();
  const dataDir = env.TENDER_DATA_DIR ?? path.join(root, 'data');
  const staticDir = path.join(root, 'dist');
  fs.mkdirSync(staticDir, { recursive: true });
  fs.writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>Tender</title>');
  const config = loadConfig({
    PORT: '0',
    TENDER_DATA_DIR: dataDir,
    TENDER_STATIC_DIR: staticDir,
    TENDER_ADMIN_TOKEN: ADMIN_TOKEN,
    ...(await backendEnv(dataDir)),
    ...env,
  });
  const tender = await createTender(config, { log: silentLogger, ...options });
  const url = tender.url;
  if (onFleet) {
    // A suite on the fleet's backends must not pass on the embedded ones by mistake.
    const health = (await (await fetch(`${url}/healthz`)).json()) as { checks?: Record<string, unknown> };
    if (!health.checks?.redis || !config.database) throw new Error('the fleet run did not start on Redis');
  }
  const server: TestServer = {
    tender,
    url,
    dataDir,
    stored: uploadBytesFor(config, path.join(root, 'staging')),
    async enroll(name = `Device ${++counter}`) {
      const res = await fetch(`${url}/api/devices`, {
        method: 'POST',
        headers: ADMIN,
        body: JSON.stringify({ name }),
      });
      if (res.status !== 201) throw new Error(`enrol failed: ${res.status} ${await res.text()}`);
      const body = (await res.json()) as Omit<TestDevice, 'headers'>;
      return { ...body, headers: { ...TUS, Authorization: `Bearer ${body.token}` } };
    },
    async create(device, size, metadata = {}) {
      const headers: Record<string, string> = { ...device.headers, 'Upload-Length': String(size) };
      if (Object.keys(metadata).length) headers['Upload-Metadata'] = encodeMetadata(metadata);
      const res = await fetch(`${url}/files/`, { method: 'POST', headers });
      if (res.status !== 201) throw new Error(`create failed: ${res.status} ${await res.text()}`);
      return new URL(res.headers.get('location') ?? '', url).href;
    },
    patch(device, uploadUrl, offset, body, headers = {}) {
      return fetch(uploadUrl, {
        method: 'PATCH',
        headers: { ...device.headers, 'Content-Type': OCTETS, 'Upload-Offset': String(offset), ...headers },
        body: new Uint8Array(body),
      });
    },
    head(device, uploadUrl) {
      return fetch(uploadUrl, { method: 'HEAD', headers: device.headers });
    },
    async metric(name) {
      const text = await (await fetch(`${url}/metrics`, { headers: ADMIN })).text();
      return metricValue(text, name);
    },
    async close({ keepData = false } = {}) {
      await tender.close();
      fs.rmSync(root, { recursive: true, force: true });
      if (!keepData) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return server;
}

/**
 * A PATCH of `body` from `offset` sent in 64 KiB pieces, one every `everyMs`, so that a kill or a
 * cut lands mid-body. `answer` is its status and Upload-Offset, or undefined when the connection
 * died first; `sent` counts the bytes handed to the socket so far.
 */
export function pacedPatch(
  url: string,
  headers: Record<string, string>,
  offset: number,
  body: Buffer,
  everyMs = 20,
): { answer: Promise<{ status: number; offset: number } | undefined>; sent: () => number } {
  let sent = 0;
  const req = http.request(url, {
    method: 'PATCH',
    headers: {
      ...headers,
      'Content-Type': OCTETS,
      'Upload-Offset': String(offset),
      'Content-Length': body.length,
    },
  });
  const answer = new Promise<{ status: number; offset: number } | undefined>((resolve) => {
    req.on('response', (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, offset: Number(res.headers['upload-offset']) });
    });
    req.on('error', () => resolve(undefined));
  });
  const write = async () => {
    for (let at = 0; at < body.length && !req.destroyed; at += 64 * 1024) {
      const piece = body.subarray(at, at + 64 * 1024);
      if (!req.write(piece)) await new Promise((resolve) => req.once('drain', resolve));
      sent += piece.length;
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
    req.end();
  };
  void write().catch(() => {});
  return { answer, sent: () => sent };
}

/** Lists records through the admin API. */
export async function listRecords(base: string, query = ''): Promise<Record<string, unknown>[]> {
  const res = await fetch(`${base}/api/uploads${query}`, { headers: ADMIN });
  if (res.status !== 200) throw new Error(`list failed: ${res.status}`);
  return (await res.json()) as Record<string, unknown>[];
}

/**
 * A PATCH that declares `declared` bytes, sends `sent`, then goes silent (a stalled satellite link).
 * Returns the request (destroy it to clean up) and a promise that settles when its socket closes.
 */
export function hangingPatch(
  device: TestDevice,
  uploadUrl: string,
  offset: number,
  declared: number,
  sent: Buffer,
  headers: Record<string, string> = {},
): { req: http.ClientRequest; closed: Promise<void>; written: Promise<void> } {
  const req = http.request(uploadUrl, {
    method: 'PATCH',
    headers: {
      ...device.headers,
      'Content-Type': OCTETS,
      'Upload-Offset': String(offset),
      'Content-Length': String(declared),
      ...headers,
    },
  });
  const closed = new Promise<void>((resolve) => {
    req.on('error', () => resolve());
    req.on('close', () => resolve());
  });
  const written = new Promise<void>((resolve) => req.write(sent, () => resolve()));
  return { req, closed, written };
}

/** Polls `probe` until `ok` or the timeout; returns the last value. */
export async function until<T>(
  probe: () => Promise<T> | T,
  ok: (v: T) => boolean,
  timeoutMs = 5000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (ok(value) || Date.now() > deadline) return value;
    await sleep(20);
  }
}
