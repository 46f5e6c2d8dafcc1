import { describe, expect, it } from 'vitest';
import { storageRoom } from '../../src/shared/storageRoom.ts';

describe('storageRoom', () => {
  it('refuses files that would not fit with 5% headroom', () => {
    expect(storageRoom({ quota: 100_000_000, usage: 10_000_000 }, 80_000_000)).toEqual({
      fits: true,
      free: 85_000_000,
    });
    expect(storageRoom({ quota: 100_000_000, usage: 10_000_000 }, 90_000_000).fits).toBe(false);
    expect(storageRoom({ quota: 100, usage: 200 }, 1)).toEqual({ fits: false, free: 0 });
  });
  it('lets the browser decide when it reports no quota', () => {
    expect(storageRoom(undefined, 5e9)).toEqual({ fits: true, free: null });
    expect(storageRoom({ usage: 5 }, 5e9).fits).toBe(true);
  });
});
