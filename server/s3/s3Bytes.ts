import fs from 'node:fs';
import path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import type { Appender, StoredFile, UploadBytes } from '../uploadBytes.ts';
import { copyObject } from './copy.ts';
import { isMissing, MultipartCalls } from './multipart.ts';
import { openAppender, type UploadKeys } from './s3Appender.ts';
import { headTail, putTail, readObject, resumeHash, saveHash } from './tail.ts';

const UPLOAD_ID = /^[0-9a-f]{32}$/;
const UNFINISHED = /^([0-9a-f]{32})\.(info|part|prev)$/;

/** Settings of uploads' bytes on an S3 API. */
export type S3BytesOptions = {
  /**
   * AWS SDK v3 client settings: endpoint, region, credentials, `forcePathStyle` for most S3 APIs
   * other than AWS; for Swift's s3api also `requestChecksumCalculation` and
   * `responseChecksumValidation` set to `WHEN_REQUIRED`.
   */
  client: S3ClientConfig;
  /** The bucket; it must exist. */
  bucket: string;
  /** Prepended to every key (e.g. `tender/`); default none. */
  prefix?: string;
  /**
   * This instance's own directory for bytes of requests in progress (a request's bytes until they
   * are persisted, plus the upload's tail); nothing in it is needed to resume elsewhere.
   */
  stagingDir: string;
  /**
   * What room() reports: S3 has no free-space figure, so the operator says what the bucket may
   * hold (a provider's quota); default unlimited. The refusal of new uploads that would not fit
   * then counts only unfinished uploads' remaining bytes against it.
   */
  capacityBytes?: number;
};

/**
 * Uploads' bytes on an S3 API (AWS, or Swift's s3api in the tests). An unfinished upload is a
 * multipart upload at `unfinished/<id>` (its id in `unfinished/<id>.info`) plus its tail object
 * `unfinished/<id>.part`, which commits each persist (see tail.ts); any instance can continue it
 * from S3 alone. Finished uploads are assembled, then copied server-side to their key.
 */
export class S3Bytes implements UploadBytes {
  private readonly calls: MultipartCalls;
  private readonly prefix: string;
  private readonly stagingDir: string;
  private readonly capacity: number;

  constructor(options: S3BytesOptions) {
    this.calls = new MultipartCalls(options.client, options.bucket);
    this.prefix = options.prefix ?? '';
    this.stagingDir = path.resolve(options.stagingDir);
    this.capacity = options.capacityBytes ?? Number.MAX_SAFE_INTEGER;
    fs.mkdirSync(this.stagingDir, { recursive: true });
  }

  private get at() {
    return { s3: this.calls.s3, bucket: this.calls.bucketName };
  }

  async create(id: string): Promise<void> {
    const keys = this.keys(id);
    if (await headTail(this.at, keys.tail)) throw new Error(`upload ${id} exists`);
    // A creation cut short before its tail was written is finished, not refused.
    if (!(await this.exists(`${keys.base}.info`))) await this.calls.begin(keys.base);
    const hashState = saveHash(await resumeHash(''));
    await putTail(this.at, keys.tail, { start: 0, parts: 0, hashState }, Buffer.alloc(0));
  }

  append(id: string, offset: number): Promise<Appender> {
    return openAppender(this.calls, this.keys(id), path.join(this.stagingDir, id), offset);
  }

  async length(id: string): Promise<number | undefined> {
    const tail = await headTail(this.at, this.keys(id).tail);
    return tail && tail.start + tail.size;
  }

  async cut(id: string, offset: number): Promise<void> {
    // Opening at an earlier end rolls the committed state back to it.
    const appender = await this.append(id, offset);
    await appender.close();
  }

  async digest(id: string): Promise<string> {
    const keys = this.keys(id);
    const tail = await headTail(this.at, keys.tail);
    if (!tail) throw new Error(`upload ${id} has no bytes`);
    // The parts' SHA-256 state was saved when they were made: only the tail is read back.
    const hasher = await resumeHash(tail.hashState);
    hasher.update(await readObject(this.at, keys.tail, tail.size));
    return hasher.digest('hex');
  }

  async place(id: string, key: string): Promise<void> {
    const keys = this.keys(id);
    const dest = this.finished(key);
    const { s3, bucket } = this.at;
    if (!(await this.exists(keys.base))) {
      const tail = await headTail(this.at, keys.tail);
      if (!tail) {
        if (await this.exists(dest)) return;
        throw new Error(`upload ${id} has nothing to place`);
      }
      const parts = (await this.calls.listParts(keys.base)).filter((p) => (p.PartNumber ?? 0) <= tail.parts);
      if (parts.length !== tail.parts) throw new Error(`upload ${id}: parts missing`);
      if (tail.size > 0) {
        const last = tail.parts + 1;
        const etag = await this.calls.putPart(keys.base, await readObject(this.at, keys.tail), last);
        parts.push({ PartNumber: last, ETag: etag });
      }
      await this.calls.assemble(keys.base, parts);
    }
    await copyObject(s3, bucket, { key: keys.base, size: await this.sizeOf(keys.base) }, dest);
    // The tail goes first: without it, what is left is a finished object to copy again.
    for (const k of [keys.tail, keys.prev, `${keys.base}.info`, keys.base])
      await s3.deleteObject({ Bucket: bucket, Key: k });
    await this.calls.forget(keys.base);
  }

  async copy(source: string, key: string): Promise<void> {
    const { s3, bucket } = this.at;
    const from = this.finished(source);
    await copyObject(s3, bucket, { key: from, size: await this.sizeOf(from) }, this.finished(key));
  }

  async open(key: string): Promise<StoredFile | undefined> {
    const { s3, bucket } = this.at;
    const Key = this.finished(key);
    let size: number | undefined;
    try {
      size = (await s3.headObject({ Bucket: bucket, Key })).ContentLength;
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
    if (size === undefined) throw new Error(`${key}: no length`);
    return {
      size,
      stream(range) {
        const out = new PassThrough();
        const Range = range && `bytes=${range.start}-${range.end}`;
        s3.getObject({ Bucket: bucket, Key, Range }).then(
          (got) => (got.Body as Readable).pipe(out),
          (error: unknown) => out.destroy(error as Error),
        );
        return out;
      },
    };
  }

  async remove(id: string): Promise<void> {
    const keys = this.keys(id);
    const { s3, bucket } = this.at;
    await this.calls.abort(keys.base).catch((error: unknown) => {
      if (!isMissing(error)) throw error;
    });
    for (const k of [keys.tail, keys.prev, `${keys.base}.info`, keys.base])
      await s3.deleteObject({ Bucket: bucket, Key: k });
    await this.calls.forget(keys.base);
    await fs.promises.rm(path.join(this.stagingDir, id), { force: true });
  }

  async list(): Promise<{ id: string; idleMs: number }[]> {
    const { s3, bucket } = this.at;
    const Prefix = `${this.prefix}unfinished/`;
    const written = new Map<string, number>();
    let token: string | undefined;
    do {
      const page = await s3.listObjectsV2({ Bucket: bucket, Prefix, ContinuationToken: token });
      for (const o of page.Contents ?? []) {
        const match = UNFINISHED.exec(o.Key?.slice(Prefix.length) ?? '');
        const id = match?.[1];
        if (!id) continue;
        const at = o.LastModified?.getTime() ?? 0;
        written.set(id, Math.max(written.get(id) ?? 0, at));
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return [...written].map(([id, at]) => ({ id, idleMs: Date.now() - at }));
  }

  async room(): Promise<number> {
    return this.capacity;
  }

  /** Asks S3 whether the bucket is there and answers; rejects with the SDK's error if not. */
  async headBucket(): Promise<void> {
    await this.calls.s3.headBucket({ Bucket: this.calls.bucketName });
  }

  /** Closes the client's connections. */
  destroy(): void {
    this.calls.s3.destroy();
  }

  private keys(id: string): UploadKeys {
    if (!UPLOAD_ID.test(id)) throw new Error(`not an upload id: ${id}`);
    const base = `${this.prefix}unfinished/${id}`;
    return { base, tail: `${base}.part`, prev: `${base}.prev` };
  }

  private finished(key: string): string {
    const segments = key.split('/');
    if (segments.some((s) => s === '' || s === '.' || s === '..'))
      throw new Error(`key outside the store: ${key}`);
    return this.prefix + key;
  }

  private async sizeOf(key: string): Promise<number> {
    const head = await this.calls.s3.headObject({ Bucket: this.calls.bucketName, Key: key });
    if (head.ContentLength === undefined) throw new Error(`${key}: no length`);
    return head.ContentLength;
  }

  private async exists(key: string): Promise<boolean> {
    try {
      await this.calls.s3.headObject({ Bucket: this.calls.bucketName, Key: key });
      return true;
    } catch (error) {
      if (isMissing(error)) return false;
      throw error;
    }
  }
}
