import { describe, expect, it } from 'vitest';
import { LruCache } from '../../src/shared/LruCache.ts';

describe('LruCache', () => {
  it('drops the least recently used beyond capacity and says which', () => {
    const dropped: string[] = [];
    const cache = new LruCache<string, string>(2, (value) => dropped.push(value));
    cache.set('a', 'url-a');
    cache.set('b', 'url-b');
    expect(cache.get('a')).toBe('url-a'); // a is now the most recent
    cache.set('c', 'url-c');
    expect(dropped).toEqual(['url-b']);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.size).toBe(2);
  });

  it('hands over replaced, deleted and cleared values, but not a value set again', () => {
    const dropped: string[] = [];
    const cache = new LruCache<string, string>(5, (value) => dropped.push(value));
    cache.set('a', 'one');
    cache.set('a', 'one');
    cache.set('a', 'two');
    cache.set('b', 'three');
    cache.delete('b');
    cache.delete('missing');
    cache.set('c', 'four');
    cache.clear();
    expect(dropped).toEqual(['one', 'three', 'two', 'four']);
    expect(cache.size).toBe(0);
  });

  it('keeps at least one entry', () => {
    const cache = new LruCache<string, number>(0);
    cache.set('a', 1);
    expect(cache.get('a')).toBe(1);
    cache.set('b', 2);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('b')).toBe(2);
  });
});
