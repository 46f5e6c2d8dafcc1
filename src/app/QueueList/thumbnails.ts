import { useEffect, useState } from 'preact/hooks';
import { LruCache } from '../../shared/LruCache.ts';
import type { QueueItem } from '../../shared/types.ts';
import { queuedBlob } from '../queueState.ts';
import { canThumbnail } from './fileBadge.ts';

/** Width of a thumbnail in pixels: twice the 48 px box it fills, for sharp screens. */
const THUMB_PX = 96;
/**
 * Thumbnails kept, as small object URLs (a few kB each). Only rows near the screen ask for one, so
 * this is a few screens' worth; older ones are revoked as the list scrolls on.
 */
const KEEP = 64;
/**
 * A row must stay this long before its image is decoded: rows that fly past in a fast scroll cancel
 * their request first and cost nothing.
 */
const SETTLE_MS = 120;

const cache = new LruCache<string, string>(KEEP, (url) => URL.revokeObjectURL(url));
/** Files whose bytes could not be decoded as an image: not tried again. */
const undecodable = new Set<string>();
/** Rows waiting for a thumbnail, by item id; the most recent request is served first. */
const wanted = new Map<string, Set<(url: string) => void>>();
let working = false;

/**
 * Decodes a stored image straight to a small bitmap (the browser does it off the main thread; a
 * 48 MP photo is never kept at full size) and keeps it as a small WebP, or PNG where WebP cannot be
 * written. Null when the bytes are gone or are not an image the browser reads.
 */
async function makeThumbnail(id: string): Promise<string | null> {
  const blob = await queuedBlob(id);
  if (!blob) return null;
  const bitmap = await createImageBitmap(blob, {
    resizeWidth: THUMB_PX,
    resizeQuality: 'medium',
    imageOrientation: 'from-image',
  });
  try {
    const canvas = document.createElement('canvas');
    canvas.width = bitmap.width;
    canvas.height = bitmap.height;
    canvas.getContext('2d')?.drawImage(bitmap, 0, 0);
    const small = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/webp', 0.8));
    return small ? URL.createObjectURL(small) : null;
  } finally {
    bitmap.close();
  }
}

/**
 * Makes the thumbnails asked for, one at a time, newest request first (the rows now on screen), each
 * after a short pause.
 */
async function work(): Promise<void> {
  if (working) return;
  working = true;
  try {
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
      const id = lastKey(wanted);
      if (id === undefined) break;
      const url = await makeThumbnail(id).catch(() => null);
      const listeners = wanted.get(id);
      wanted.delete(id);
      if (!url) {
        undecodable.add(id);
        continue;
      }
      cache.set(id, url);
      for (const listener of listeners ?? []) listener(url);
    }
  } finally {
    working = false;
  }
}

function lastKey<K>(map: Map<K, unknown>): K | undefined {
  let last: K | undefined;
  for (const key of map.keys()) last = key;
  return last;
}

/** Asks for the thumbnail of item `id`; `onReady` gets its URL. Returns a function that cancels. */
function requestThumbnail(id: string, onReady: (url: string) => void): () => void {
  const cached = cache.get(id);
  if (cached) {
    onReady(cached);
    return () => {};
  }
  if (undecodable.has(id)) return () => {};
  // Re-inserted, so that it counts as the newest request.
  const listeners = wanted.get(id) ?? new Set();
  wanted.delete(id);
  wanted.set(id, listeners.add(onReady));
  void work();
  return () => {
    listeners.delete(onReady);
    // A row that scrolled away before its turn costs no decoding.
    if (!listeners.size) wanted.delete(id);
  };
}

/** The thumbnail URL of `item` while its row is shown; null until made, or when it has none. */
export function useThumbnail(item: Pick<QueueItem, 'id' | 'type' | 'releasedAt'>): string | null {
  const able = canThumbnail(item);
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    setUrl(null);
    if (!able) {
      // The bytes are gone from this device (or never were an image): so is its thumbnail.
      cache.delete(item.id);
      return;
    }
    return requestThumbnail(item.id, setUrl);
  }, [item.id, able]);
  return able ? url : null;
}
