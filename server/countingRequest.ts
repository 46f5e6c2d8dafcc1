import http from 'node:http';
import type { Metrics } from './metrics.ts';

/**
 * An IncomingMessage class that counts upload body bytes (PATCH and POST to `isUpload` paths) into
 * `metrics.bytesReceived`. push() sees every body byte the HTTP parser delivers, including bytes of
 * aborted requests and of requests tus never reads; a 'data' listener could not do this without
 * stealing the body from tus.
 */
export function countingRequest(
  metrics: Metrics,
  isUpload: (url: string | undefined) => boolean,
): typeof http.IncomingMessage {
  return class CountingRequest extends http.IncomingMessage {
    override push(chunk: unknown, encoding?: BufferEncoding): boolean {
      if (chunk && (this.method === 'PATCH' || this.method === 'POST') && isUpload(this.url)) {
        metrics.bytesReceived += (chunk as Buffer).length;
      }
      return super.push(chunk, encoding);
    }
  };
}
