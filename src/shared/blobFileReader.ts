import type { Upload } from 'tus-js-client';
import type { BlobLike } from './types.ts';

/** tus-js-client's file reader interface (its type is not exported by name). */
type TusFileReader = NonNullable<ConstructorParameters<typeof Upload>[1]['fileReader']>;

/**
 * tus-js-client's `fileReader` for Blobs, the same in the worker and in Node (20+ has Blob and
 * `fs.openAsBlob`). Each chunk is the Blob's slice, which reads nothing until its request body is
 * sent, so a file of gigabytes never sits in memory. tus-js-client's own readers differ by build:
 * the Node build refuses a Blob ("source object may only be an instance of Buffer or Readable").
 */
export const blobFileReader: TusFileReader = {
  async openFile(file: BlobLike) {
    return {
      size: file.size,
      async slice(start: number, end: number) {
        return { value: file.slice(start, end), done: end >= file.size };
      },
      close() {},
    };
  },
};
