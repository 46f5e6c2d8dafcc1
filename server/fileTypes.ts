/** What the ship's crew uploads: photos, video, audio, PDFs, text, office documents and archives. */
export const DEFAULT_ALLOWED_TYPES = [
  'image/*',
  'video/*',
  'audio/*',
  'text/*',
  'application/pdf',
  'application/rtf',
  'application/json',
  'application/xml',
  'application/zip',
  'application/x-zip-compressed',
  'application/octet-stream',
  'application/msword',
  'application/vnd.ms-excel',
  'application/vnd.ms-powerpoint',
  'application/vnd.openxmlformats-officedocument.*',
  'application/vnd.oasis.opendocument.*',
  'application/vnd.apple.pages',
  'application/vnd.apple.numbers',
  'application/vnd.apple.keynote',
];

const MIME = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;

/** The bare, lower-case media type of a `filetype` value (parameters dropped), or undefined if malformed. */
export function normaliseType(value: string): string | undefined {
  const bare = (value.split(';', 1)[0] ?? '').trim().toLowerCase();
  if (!bare) return 'application/octet-stream';
  return MIME.test(bare) ? bare : undefined;
}

/** Matches media types against patterns: exact, `*`, or a prefix ending in `*` (`image/*`, `application/vnd.ms-*`). */
export class TypeAllowlist {
  readonly patterns: readonly string[];

  constructor(patterns: readonly string[]) {
    this.patterns = patterns.map((p) => p.trim().toLowerCase()).filter(Boolean);
  }

  /** True if `type` (already normalised) is allowed. */
  allows(type: string): boolean {
    return this.patterns.some((p) => (p.endsWith('*') ? type.startsWith(p.slice(0, -1)) : p === type));
  }
}
