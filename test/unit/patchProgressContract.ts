import { describe, expect, it } from 'vitest';
import type { PatchProgress } from '../../server/patchProgress.ts';
import { pollUntil } from '../support/pollUntil.ts';

/** Progress stores to test, fresh: one per server over the same state (a single one for memory). */
export type MakeProgress = () => Promise<PatchProgress[]>;

/** What every PatchProgress keeps, read from whichever server /api/progress reaches. */
export function patchProgressContract(name: string, make: MakeProgress) {
  describe(`${name}: the contract every PatchProgress keeps`, () => {
    it('reports an open PATCH, within well under a second on any server, until it ends', async () => {
      const servers = await make();
      const [writer, reader] = [servers[0], servers.at(-1)] as [PatchProgress, PatchProgress];
      expect(await reader.read('upload-1')).toBeUndefined();
      const before = Date.now();
      writer.update('upload-1', 65_536);
      const first = await pollUntil(
        'the first progress',
        () => reader.read('upload-1'),
        (r) => r !== undefined,
      );
      const lag = Date.now() - before;
      expect(first).toEqual({ received: 65_536, at: expect.any(Number) });
      expect(first?.at).toBeGreaterThanOrEqual(before);
      expect(first?.at).toBeLessThanOrEqual(Date.now());
      expect(lag).toBeLessThan(500);
      writer.update('upload-1', 1_048_576);
      const later = await pollUntil(
        'the later progress',
        () => reader.read('upload-1'),
        (r) => r?.received === 1_048_576,
        { timeoutMs: 1000 },
      );
      expect(later?.at).toBeGreaterThanOrEqual(first?.at ?? Number.NaN);
      expect(await reader.read('upload-2')).toBeUndefined(); // each upload its own
      writer.end('upload-1');
      await pollUntil(
        'the end',
        () => reader.read('upload-1'),
        (r) => r === undefined,
        { timeoutMs: 1000 },
      );
    });

    it('ending a PATCH twice, or one never reported, leaves the other uploads alone', async () => {
      const servers = await make();
      const [writer, reader] = [servers[0], servers.at(-1)] as [PatchProgress, PatchProgress];
      writer.update('upload-3', 10);
      writer.update('upload-4', 20);
      await pollUntil(
        'progress',
        () => reader.read('upload-4'),
        (r) => r !== undefined,
      );
      writer.end('upload-3');
      writer.end('upload-3');
      writer.end('upload-5');
      await pollUntil(
        'the end',
        () => reader.read('upload-3'),
        (r) => r === undefined,
        { timeoutMs: 1000 },
      );
      expect(await reader.read('upload-4')).toMatchObject({ received: 20 });
      writer.end('upload-4');
    });
  });
}
