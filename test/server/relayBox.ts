import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import type { Compiled, ServerProcess } from './compiled.ts';
import { ADMIN, ADMIN_TOKEN, encodeMetadata, listRecords, OCTETS, TUS, tempDir, until } from './helpers.ts';

/** The on-board box: the compiled server in relay mode, as the ship's operator runs it. */
export function startRelay(
  compiled: Compiled,
  dataDir: string,
  shoreUrl: string,
  shipToken: string,
  env: Record<string, string> = {},
): Promise<ServerProcess> {
  const staticDir = path.join(path.dirname(dataDir), 'dist');
  fs.mkdirSync(staticDir, { recursive: true });
  fs.writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>Tender</title>');
  return compiled.start({
    TENDER_DATA_DIR: dataDir,
    TENDER_STATIC_DIR: staticDir,
    TENDER_ADMIN_TOKEN: ADMIN_TOKEN,
    TENDER_FORWARD_TO: shoreUrl,
    TENDER_FORWARD_TOKEN: shipToken,
    ...env,
  });
}

/** A data directory for a new box, under a root recorded in `roots` for the caller to remove. */
export function newBox(roots: string[]): string {
  const root = tempDir('tender-relay-');
  roots.push(root);
  return path.join(root, 'data');
}

/** A crew device enrolled on the box by its operator. */
export async function enrollAt(base: string, name: string): Promise<Record<string, string>> {
  const res = await fetch(`${base}/api/devices`, {
    method: 'POST',
    headers: ADMIN,
    body: JSON.stringify({ name }),
  });
  expect(res.status).toBe(201);
  const { token } = (await res.json()) as { token: string };
  return { ...TUS, Authorization: `Bearer ${token}` };
}

/** Uploads `body` to the box in one PATCH, as a crew device's app would; returns the upload's id. */
export async function uploadOnBoard(
  base: string,
  crew: Record<string, string>,
  body: Buffer,
  metadata: Record<string, string>,
): Promise<string> {
  const created = await fetch(`${base}/files/`, {
    method: 'POST',
    headers: { ...crew, 'Upload-Length': String(body.length), 'Upload-Metadata': encodeMetadata(metadata) },
  });
  expect(created.status).toBe(201);
  const url = new URL(created.headers.get('location') ?? '', base).href;
  const patched = await fetch(url, {
    method: 'PATCH',
    headers: { ...crew, 'Content-Type': OCTETS, 'Upload-Offset': '0' },
    body: new Uint8Array(body),
  });
  expect(patched.status).toBe(204);
  return url.split('/').pop() ?? '';
}

/** Shore's record of the file with `digest`, once shore holds it; fails after a minute without. */
export async function ashoreAt(shoreUrl: string, digest: string) {
  const record = await until(
    async () => (await listRecords(shoreUrl)).find((r) => r.sha256 === digest),
    (r) => r !== undefined,
    60_000,
  );
  if (!record) throw new Error('the file never reached shore');
  return record as Record<string, unknown> & { metadata: Record<string, string> };
}
