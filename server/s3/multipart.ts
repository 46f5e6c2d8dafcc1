import type { Part, S3, S3ClientConfig } from '@aws-sdk/client-s3';
import { S3Store } from '@tus/s3-store';
import { Upload } from '@tus/server';

/**
 * The multipart calls of @tus/s3-store, reused as they are: its upload is created at a key with the
 * multipart upload's id kept in `<key>.info` (so any instance finds it), its parts listed in order,
 * uploaded and assembled. Its DataStore methods (write, getUpload) are not used: they stream a
 * request straight into parts and take the stored length as the offset, where Tender verifies bytes
 * before they count and persists only what its store acknowledges (see S3Bytes).
 */
export class MultipartCalls extends S3Store {
  constructor(config: S3ClientConfig, bucket: string) {
    // No tags (Swift has none); at most 1000 parts; expiry is the server's own sweep.
    super({ s3ClientConfig: { ...config, bucket }, useTags: false, maxMultipartParts: 1000 });
  }

  get s3(): S3 {
    return this.client;
  }

  get bucketName(): string {
    return this.bucket;
  }

  /** Starts the multipart upload at `key` and writes `<key>.info`. */
  async begin(key: string): Promise<void> {
    await this.create(new Upload({ id: key, offset: 0 }));
  }

  /** The upload's id, read from `<key>.info` (cached in this process). */
  async uploadIdOf(key: string): Promise<string> {
    return (await this.getMetadata(key))['upload-id'];
  }

  /** Every part stored, in order. */
  listParts(key: string): Promise<Part[]> {
    return this.retrieveParts(key);
  }

  /** Uploads part `number`; resolves to its ETag. */
  async putPart(key: string, body: Buffer, number: number): Promise<string> {
    const etag = await this.uploadPart(await this.getMetadata(key), body, number);
    if (!etag) throw new Error(`no ETag for part ${number} of ${key}`);
    return etag;
  }

  /** Assembles `parts` (an empty upload gets one empty part) into the object at `key`. */
  async assemble(key: string, parts: Part[]): Promise<void> {
    await this.finishMultipartUpload(await this.getMetadata(key), parts);
  }

  /** Aborts the multipart upload, if it is still open. */
  async abort(key: string): Promise<void> {
    const uploadId = await this.uploadIdOf(key);
    await this.client.abortMultipartUpload({ Bucket: this.bucket, Key: key, UploadId: uploadId });
  }

  /** Drops what this process remembers of `key`. */
  forget(key: string): Promise<void> {
    return this.clearCache(key);
  }
}

/** Whether an S3 error says the object or upload is not there. */
export function isMissing(error: unknown): boolean {
  const name = (error as { name?: string } | null)?.name;
  return name === 'NotFound' || name === 'NoSuchKey' || name === 'NoSuchUpload';
}
