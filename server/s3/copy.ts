import type { S3 } from '@aws-sdk/client-s3';

const MiB = 1024 * 1024;
/**
 * Objects up to `singleBytes` are copied in one request; larger ones in parts of `partBytes`
 * (more past 1000 parts), several at once.
 */
export type CopySizes = { singleBytes: number; partBytes: number };
const SIZES: CopySizes = { singleBytes: 64 * MiB, partBytes: 64 * MiB };
const PARALLEL_PARTS = 4;

/** The CopySource of an object: bucket and key, each path segment URL-encoded. */
export function copySource(bucket: string, key: string): string {
  return `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

/**
 * Copies an object inside the bucket, server-side. One CopyObject copies at most 5 GiB and runs
 * as one stream inside the service; past 64 MiB the copy is a multipart upload whose parts are
 * UploadPartCopy ranges of the source, four at a time (64 MiB each, larger past 62.5 GiB so they
 * stay within 1000). On Swift both take about as long (~50 MB/s here); AWS copies parts in parallel.
 */
export async function copyObject(
  s3: S3,
  bucket: string,
  from: { key: string; size: number },
  to: string,
  sizes: CopySizes = SIZES,
): Promise<void> {
  const CopySource = copySource(bucket, from.key);
  if (from.size <= sizes.singleBytes) {
    await s3.copyObject({ Bucket: bucket, Key: to, CopySource });
    return;
  }
  const partBytes = Math.max(sizes.partBytes, Math.ceil(from.size / 1000));
  const count = Math.ceil(from.size / partBytes);
  const { UploadId } = await s3.createMultipartUpload({ Bucket: bucket, Key: to });
  try {
    const etags: string[] = [];
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < count; i = next++) {
        const start = i * partBytes;
        const end = Math.min(from.size, start + partBytes) - 1;
        const copied = await s3.uploadPartCopy({
          Bucket: bucket,
          Key: to,
          UploadId,
          PartNumber: i + 1,
          CopySource,
          CopySourceRange: `bytes=${start}-${end}`,
        });
        const etag = copied.CopyPartResult?.ETag;
        if (!etag) throw new Error(`no ETag for part ${i + 1} copied to ${to}`);
        etags[i] = etag;
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_PARTS, count) }, worker));
    const Parts = etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 }));
    await s3.completeMultipartUpload({ Bucket: bucket, Key: to, UploadId, MultipartUpload: { Parts } });
  } catch (error) {
    await s3.abortMultipartUpload({ Bucket: bucket, Key: to, UploadId }).catch(() => {});
    throw error;
  }
}
