import { clampPriority, type UploadTags } from './types.ts';

/** The tags shore systems index files by, as the crew sets them when adding files. */
export const TAG_FIELDS = ['documentType', 'systemTag', 'directories'] as const;

/** What the Add files form starts with: the choices of its last use. */
export interface AddDefaults {
  priority: number;
  tags: UploadTags;
  keepLocalCopy: boolean;
  /** Send smaller copies of photos; off at first, so originals go untouched unless the crew choose. */
  dataSaver: boolean;
}

export const FIRST_ADD_DEFAULTS: AddDefaults = {
  priority: 5,
  tags: {},
  keepLocalCopy: false,
  dataSaver: false,
};

/** Longest tag value kept; tus metadata travels in one header, and a folder path is rarely longer. */
export const MAX_TAG_LENGTH = 200;

/** Tags as they are stored and sent: known fields only, trimmed, empty ones left out. */
export function cleanTags(tags: Record<string, unknown>): UploadTags {
  const clean: UploadTags = {};
  for (const field of TAG_FIELDS) {
    const value = tags[field];
    if (typeof value !== 'string') continue;
    const trimmed = value.trim().slice(0, MAX_TAG_LENGTH);
    if (trimmed) clean[field] = trimmed;
  }
  return clean;
}

/** Stored defaults read back safely: anything missing or malformed falls back to the first-use choice. */
export function readAddDefaults(stored: unknown): AddDefaults {
  if (!stored || typeof stored !== 'object') return FIRST_ADD_DEFAULTS;
  const s = stored as Record<string, unknown>;
  return {
    priority: typeof s.priority === 'number' ? clampPriority(s.priority) : FIRST_ADD_DEFAULTS.priority,
    tags: s.tags && typeof s.tags === 'object' ? cleanTags(s.tags as Record<string, unknown>) : {},
    keepLocalCopy: s.keepLocalCopy === true,
    dataSaver: s.dataSaver === true,
  };
}
