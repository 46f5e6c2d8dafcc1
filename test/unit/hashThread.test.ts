import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { HashThread, localHashing } from '../../server/hashThread.ts';
import { makeFile } from '../support/content.ts';

const MiB = 1024 * 1024;

describe('HashThread', () => {
  let thread = new HashThread();
  afterEach(async () => {
    await thread.close();
    thread = new HashThread();
  });

  const sha = (algorithm: string, ...parts: Uint8Array[]) => {
    const hash = createHash(algorithm);
    for (const part of parts) hash.update(part);
    return hash.digest('hex');
  };

  it.each([
    ['sha256', 0],
    ['sha256', 1],
    ['sha1', 65_536],
    ['sha256', 3 * MiB + 17],
  ] as const)('%s over %i bytes fed in uneven pieces matches node:crypto', async (algorithm, size) => {
    const data = makeFile(size, size + 1);
    for (const piece of [1_000, 65_536, MiB + 1, Number.MAX_SAFE_INTEGER]) {
      const hash = thread.create(algorithm);
      for (let at = 0; at < data.length; at += piece) hash.update(data.subarray(at, at + piece));
      expect((await hash.digest()).toString('hex'), `pieces of ${piece}`).toBe(sha(algorithm, data));
    }
  });

  it('a copy goes on from the state at copying, apart from its original; parking changes nothing', async () => {
    const [a, b, c] = [makeFile(1.5 * MiB, 1), makeFile(70_000, 2), makeFile(2 * MiB, 3)];
    const original = thread.create('sha256');
    original.update(a);
    original.park();
    const copy = original.copy();
    original.update(b);
    original.park();
    copy.update(c);
    const [first, second] = await Promise.all([original.digest(), copy.digest()]);
    expect(first.toString('hex')).toBe(sha('sha256', a, b));
    expect(second.toString('hex')).toBe(sha('sha256', a, c));
  });

  it('a hash is used up by its digest or by disposing of it', async () => {
    const hash = thread.create('sha256');
    hash.update(Buffer.from('x'));
    await hash.digest();
    await expect(hash.digest()).rejects.toThrow(/already digested/);
    expect(() => hash.update(Buffer.from('y'))).toThrow(/already digested/);
    const dropped = thread.create('sha256');
    dropped.dispose();
    await expect(dropped.digest()).rejects.toThrow(/already digested/);
    // The thread goes on serving other hashes.
    const next = thread.create('sha1');
    next.update(Buffer.from('z'));
    expect((await next.digest()).toString('hex')).toBe(sha('sha1', Buffer.from('z')));
  });

  it.each([
    ['4 MiB by default', undefined, 4 * MiB],
    ['the backlog it was given', 12 * MiB, 12 * MiB],
  ])(
    'holds writers back once more than %s waits to be hashed, and lets them go as it catches up',
    async (_, backlogBytes, limit) => {
      const own = new HashThread({ backlogBytes });
      try {
        const chunk = makeFile(MiB, 9);
        const hash = own.create('sha256');
        let held: Promise<void> | undefined;
        let fed = 0;
        while (!held && fed < 256) {
          hash.update(chunk);
          fed++;
          held = own.backlog();
        }
        expect(held, 'a backlog built up').toBeDefined();
        expect(fed).toBe(limit / MiB + 1);
        await held;
        expect(own.backlog()).toBeUndefined();
        expect((await hash.digest()).toString('hex')).toBe(sha('sha256', ...Array(fed).fill(chunk)));
      } finally {
        await own.close();
      }
    },
  );

  it('a thread given a nice value runs at it; the threads beside it keep theirs', async () => {
    // Field 19 of a thread's stat is its nice value (fields counted after the command name).
    const niceOf = (stat: string) => Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
    const nices = () =>
      fs
        .readdirSync('/proc/self/task')
        .map((tid) => niceOf(fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8')));
    const mainNice = () => niceOf(fs.readFileSync('/proc/self/stat', 'utf8'));
    const before = nices();
    const mainBefore = mainNice();
    const own = new HashThread({ nice: 7 });
    try {
      const hash = own.create('sha256');
      hash.update(Buffer.from('x'));
      expect((await hash.digest()).toString('hex')).toBe(sha('sha256', Buffer.from('x')));
      const after = nices();
      expect(after.filter((n) => n === 7).length).toBe(before.filter((n) => n === 7).length + 1);
      expect(mainNice()).toBe(mainBefore);
    } finally {
      await own.close();
    }
  });

  it('a digest owed by a stopped thread rejects, and the next hash starts a new one', async () => {
    const hash = thread.create('sha256');
    hash.update(makeFile(4 * MiB, 4));
    const owed = hash.digest();
    await thread.close();
    await expect(owed).rejects.toThrow(/hashing thread/);
    const next = thread.create('sha256');
    next.update(Buffer.from('after'));
    expect((await next.digest()).toString('hex')).toBe(sha('sha256', Buffer.from('after')));
  });
});

describe('localHashing', () => {
  it('digests, copies and disposes on this thread', async () => {
    const hash = localHashing.create('sha256');
    hash.update(Buffer.from('ab'));
    const copy = hash.copy();
    copy.update(Buffer.from('c'));
    hash.dispose();
    expect((await copy.digest()).toString('hex')).toBe(createHash('sha256').update('abc').digest('hex'));
    expect(localHashing.backlog()).toBeUndefined();
  });
});
