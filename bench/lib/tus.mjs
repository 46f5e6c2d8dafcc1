import { createHash } from 'node:crypto';
import http from 'node:http';

/**
 * One HTTP request. Resolves with the status, headers and body text; rejects on a network error
 * or when nothing moves for `timeoutMs`.
 */
export function request(url, { method = 'GET', headers = {}, body, agent, timeoutMs = 120_000 } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          text: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${url}: idle for ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** A JSON request with an optional bearer token; throws unless the status is `expect`. */
export async function requestJson(url, { method = 'GET', token, body, expect = 200 } = {}) {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (payload) {
    headers['Content-Type'] = 'application/json';
    headers['Content-Length'] = String(payload.length);
  }
  const res = await request(url, { method, headers, body: payload, timeoutMs: 30_000 });
  if (res.status !== expect) throw new Error(`${method} ${url}: ${res.status} ${res.text.slice(0, 200)}`);
  return res.text ? JSON.parse(res.text) : undefined;
}

/** SHA-256 of `bytes` in the form `Upload-Checksum` wants. */
export function sha256Base64(bytes) {
  return createHash('sha256').update(bytes).digest('base64');
}

// Compiled from src/shared/blockChecksums.ts by `tsc -p bench` (see the "bench" script).
const { blockSizeFor, formatBlockChecksums } = await import('../../build/bench/src/shared/blockChecksums.js');

/** The Upload-Block-Checksums value the app sends for `bytes` (its block sizes, hashed here with node:crypto). */
export function blockChecksumsOf(bytes) {
  const blockSize = blockSizeFor(bytes.length);
  const digests = [];
  for (let at = 0; at < bytes.length; at += blockSize) {
    digests.push(
      createHash('sha256')
        .update(bytes.subarray(at, at + blockSize))
        .digest(),
    );
  }
  return formatBlockChecksums(blockSize, digests);
}

/** The smallest tus 1.0 client that covers creation, PATCH with an optional checksum, and HEAD. */
export class TusClient {
  /**
   * @param {string} base server origin, e.g. http://127.0.0.1:8080
   * @param {{ token?: string, agent?: http.Agent }} options
   */
  constructor(base, { token, agent } = {}) {
    this.base = base;
    this.token = token;
    this.agent = agent ?? new http.Agent({ keepAlive: true, maxSockets: 1 });
  }

  headers(extra) {
    const headers = { 'Tus-Resumable': '1.0.0', ...extra };
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    return headers;
  }

  /** POST /files; returns the absolute upload URL. */
  async create(size, metadata = {}) {
    const encoded = Object.entries(metadata)
      .map(([key, value]) => `${key} ${Buffer.from(value).toString('base64')}`)
      .join(',');
    const headers = this.headers({ 'Upload-Length': String(size), 'Content-Length': '0' });
    if (encoded) headers['Upload-Metadata'] = encoded;
    const res = await request(new URL('/files', this.base), { method: 'POST', headers, agent: this.agent });
    if (res.status !== 201 || !res.headers.location) {
      throw new Error(`POST /files: ${res.status} ${res.text.slice(0, 200)}`);
    }
    return new URL(res.headers.location, this.base).href;
  }

  /**
   * PATCH `body` at `offset`; returns the new offset. `checksum` is a base64 SHA-256, if any;
   * `blockChecksums` an Upload-Block-Checksums value, if any.
   */
  async patch(url, offset, body, checksum, blockChecksums) {
    const headers = this.headers({
      'Content-Type': 'application/offset+octet-stream',
      'Content-Length': String(body.length),
      'Upload-Offset': String(offset),
    });
    if (blockChecksums) headers['Upload-Block-Checksums'] = blockChecksums;
    if (checksum) headers['Upload-Checksum'] = `sha256 ${checksum}`;
    const res = await request(url, { method: 'PATCH', headers, body, agent: this.agent });
    if (res.status !== 204) throw new Error(`PATCH at ${offset}: ${res.status} ${res.text.slice(0, 200)}`);
    return Number(res.headers['upload-offset']);
  }

  /** HEAD; returns the server's offset. */
  async head(url) {
    const res = await request(url, { method: 'HEAD', headers: this.headers(), agent: this.agent });
    if (res.status !== 200) throw new Error(`HEAD: ${res.status}`);
    return Number(res.headers['upload-offset']);
  }

  close() {
    this.agent.destroy();
  }
}
