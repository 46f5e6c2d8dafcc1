import { describe, expect, it } from 'vitest';
import type { DeviceLimits } from '../../server/limits.ts';
import { pollUntil } from '../support/pollUntil.ts';

/** Limits to test, fresh: one per server, all over the same state (a single one for memory). */
export type MakeLimits = (opts: { rate: number; burst: number; maxOpen: number }) => Promise<DeviceLimits[]>;

/** What every DeviceLimits keeps, whichever of the servers sharing it a device's requests reach. */
export function deviceLimitsContract(name: string, make: MakeLimits) {
  describe(`${name}: the contract every DeviceLimits keeps`, () => {
    it('lets a device spend its burst, then one request per 1/rate seconds, others untouched', async () => {
      const servers = await make({ rate: 10, burst: 4, maxOpen: 4 });
      const on = (i: number) => servers[i % servers.length] as DeviceLimits;
      const startedAt = performance.now();
      const waits = [];
      for (let i = 0; i < 5; i++) waits.push(await on(i).take('deck-tablet'));
      expect(waits).toEqual([0, 0, 0, 0, 1]); // 0.1 s to the next token, said as 1 s
      expect(await on(1).take('galley-phone')).toBe(0);
      let i = 0;
      await pollUntil(
        'the next token',
        () => on(i++).take('deck-tablet'),
        (wait) => wait === 0,
      );
      const next = performance.now() - startedAt;
      expect(next).toBeGreaterThanOrEqual(90);
      expect(next).toBeLessThan(400);
    });

    it('never gives more than the burst to requests arriving at once on every server', async () => {
      const servers = await make({ rate: 1, burst: 10, maxOpen: 4 });
      const startedAt = performance.now();
      const waits = await Promise.all(
        Array.from({ length: 120 }, (_, i) => (servers[i % servers.length] as DeviceLimits).take('bridge')),
      );
      const seconds = (performance.now() - startedAt) / 1000;
      const allowed = waits.filter((wait) => wait === 0).length;
      expect(allowed).toBeGreaterThanOrEqual(10);
      expect(allowed).toBeLessThanOrEqual(10 + Math.floor(seconds * 1));
      expect(waits.filter((wait) => wait === 1)).toHaveLength(120 - allowed);
    });

    it('allows the burst plus rate × time under steady demand', async () => {
      const servers = await make({ rate: 50, burst: 10, maxOpen: 4 });
      // Connected and ready on every server first, so the time counted starts with the first take.
      for (const server of servers) await server.take('warm-up');
      let allowed = 0;
      const startedAt = performance.now();
      const until = startedAt + 1000;
      await Promise.all(
        servers.map(async (server) => {
          while (performance.now() < until) {
            if ((await server.take('engine-room')) === 0) allowed++;
            // Each server asks as fast as it can; a pause of 0 lets the others in between.
            await new Promise((resolve) => setTimeout(resolve, 0));
          }
        }),
      );
      const expected = 10 + 50 * ((performance.now() - startedAt) / 1000);
      console.info(
        `${name}: ${allowed} requests allowed where burst + rate × time is ${expected.toFixed(1)}`,
      );
      // Never more; a little less when the machine is busy (a token refilled after the last take).
      expect(allowed).toBeLessThanOrEqual(Math.floor(expected + 0.25));
      expect(allowed).toBeGreaterThanOrEqual(Math.floor(expected * 0.9));
    });

    it('keeps at most maxOpen requests open per device; leaving frees a slot, twice is harmless', async () => {
      const servers = await make({ rate: 100, burst: 100, maxOpen: 3 });
      const [here, there] = [servers[0], servers.at(-1)] as [DeviceLimits, DeviceLimits];
      const [r1, r2, r3, r4, r5] = [{}, {}, {}, {}, {}];
      expect([await here.enter('d', r1), await there.enter('d', r2), await here.enter('d', r3)]).toEqual([
        true,
        true,
        true,
      ]);
      expect(await there.enter('d', r4)).toBe(false);
      expect(await there.enter('other', r4)).toBe(true); // another device has its own slots
      there.leave('d', r4); // refused, so never counted: leaves the others alone
      expect(await here.enter('d', r5)).toBe(false);
      there.leave('d', r2);
      there.leave('d', r2);
      await pollUntil(
        'a free slot',
        () => here.enter('d', r5),
        (entered) => entered,
      );
      expect(await there.enter('d', {})).toBe(false); // r2 freed one slot only
      for (const request of [r1, r3, r5]) here.leave('d', request); // where each entered
      // All three free again, whichever server asks.
      const again = [{}, {}, {}];
      await pollUntil(
        'three free slots',
        () => here.enter('d', again[0] as object),
        (entered) => entered,
      );
      expect([await there.enter('d', again[1] as object), await here.enter('d', again[2] as object)]).toEqual(
        [true, true],
      );
    });
  });
}
