import type { QueueItem } from '../../shared/types.ts';

/** Image types the browser can decode into a thumbnail (SVG is left out: it needs a document). */
const DECODABLE = /^image\/(jpeg|png|gif|webp|avif|bmp)$/;

/** True when a thumbnail can be made of `item`: an image whose bytes are still on this device. */
export function canThumbnail(item: Pick<QueueItem, 'type' | 'releasedAt'>): boolean {
  return item.releasedAt === null && DECODABLE.test(item.type);
}

/** What stands in for a thumbnail: the file's extension, or its kind, in at most four letters. */
export function fileBadge(item: Pick<QueueItem, 'name' | 'type'>): string {
  const ext = /\.([a-z0-9]{1,4})$/i.exec(item.name)?.[1];
  if (ext) return ext.toUpperCase();
  const kind = item.type.split('/')[0];
  if (kind === 'image') return 'IMG';
  if (kind === 'video') return 'VID';
  if (kind === 'audio') return 'AUD';
  if (kind === 'text') return 'TXT';
  return 'FILE';
}
