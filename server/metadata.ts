import { normaliseType, type TypeAllowlist } from './fileTypes.ts';

/** Limits on tus Upload-Metadata, in bytes of decoded UTF-8. */
export const METADATA_LIMITS = { keys: 32, keyLength: 64, valueBytes: 1024, totalBytes: 8192 } as const;

/** Validated metadata, or the status and message to refuse it with. */
export type MetadataCheck =
  | { ok: true; metadata: Record<string, string> }
  | { ok: false; status: 400 | 415; error: string };

const KEY = /^[A-Za-z0-9_.-]+$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
// C0/C1 controls and DEL (\p{Cc}), and the bidirectional overrides that make "evil\u202Egpj.exe" read as "evilexe.jpg".
const FORBIDDEN = /[\p{Cc}\u202a-\u202e\u2066-\u2069]/u;
const SHA256 = /^[0-9a-f]{64}$/;

/** Parses and checks an Upload-Metadata header (absent means none). */
export function checkMetadataHeader(header: string | undefined, types: TypeAllowlist): MetadataCheck {
  if (header === undefined) return checkMetadata({}, types);
  const decoded: Record<string, string> = {};
  const pairs = header.split(',');
  if (pairs.length > METADATA_LIMITS.keys)
    return bad(`Upload-Metadata has more than ${METADATA_LIMITS.keys} keys`);
  for (const pair of pairs) {
    const [key = '', value = '', ...extra] = pair.trim().split(' ');
    if (extra.length) return bad('Upload-Metadata pairs must be "key base64value", separated by commas');
    if (Object.hasOwn(decoded, key)) return bad(`Upload-Metadata key ${quote(key)} appears twice`);
    if (!BASE64.test(value) || value.length % 4 !== 0) {
      return bad(`Upload-Metadata value of ${quote(key)} is not base64`);
    }
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(value, 'base64'));
    } catch {
      return bad(`Upload-Metadata value of ${quote(key)} is not UTF-8 text`);
    }
    decoded[key] = text;
  }
  return checkMetadata(decoded, types);
}

/**
 * Checks decoded metadata (also the JSON form the dedupe API takes). Refuses what no honest client
 * sends (control characters, bad keys, over-long values, a malformed sha256); tidies what an honest
 * client may send: `filename` is cut to its last path segment (browsers and OSes disagree on
 * separators), `filetype` is lower-cased without parameters, `sha256` is lower-cased.
 */
export function checkMetadata(input: unknown, types: TypeAllowlist): MetadataCheck {
  if (!input || typeof input !== 'object' || Array.isArray(input)) return bad('metadata must be an object');
  const entries = Object.entries(input as Record<string, unknown>);
  if (entries.length > METADATA_LIMITS.keys)
    return bad(`metadata has more than ${METADATA_LIMITS.keys} keys`);
  const out: Record<string, string> = {};
  let total = 0;
  for (const [key, value] of entries) {
    if (!KEY.test(key) || key.length > METADATA_LIMITS.keyLength) {
      return bad(`metadata key ${quote(key)} must be 1-${METADATA_LIMITS.keyLength} of A-Z a-z 0-9 _ . -`);
    }
    if (typeof value !== 'string') return bad(`metadata value of ${quote(key)} must be a string`);
    const bytes = Buffer.byteLength(value);
    if (bytes > METADATA_LIMITS.valueBytes) {
      return bad(`metadata value of ${quote(key)} is longer than ${METADATA_LIMITS.valueBytes} bytes`);
    }
    total += bytes + key.length;
    if (total > METADATA_LIMITS.totalBytes)
      return bad(`metadata is larger than ${METADATA_LIMITS.totalBytes} bytes`);
    if (FORBIDDEN.test(value)) return bad(`metadata value of ${quote(key)} contains control characters`);
    out[key] = value;
  }

  for (const key of ['filename', 'name', 'originalName'] as const) {
    const raw = out[key];
    if (raw === undefined) continue;
    const last = (raw.split(/[/\\]/).pop() ?? '').trim();
    if (!last || last === '.' || last === '..')
      return bad(`metadata ${key} ${quote(raw)} has no file name in it`);
    out[key] = last;
  }
  const rawType = out.filetype ?? out.type;
  const type = rawType === undefined ? 'application/octet-stream' : normaliseType(rawType);
  if (!type) return bad(`metadata filetype ${quote(rawType ?? '')} is not a media type`);
  if (!types.allows(type)) return { ok: false, status: 415, error: `file type ${type} is not accepted here` };
  if (rawType !== undefined) out[out.filetype === undefined ? 'type' : 'filetype'] = type;
  if (out.sha256 !== undefined) {
    const hex = out.sha256.toLowerCase();
    if (!SHA256.test(hex)) return bad('metadata sha256 must be 64 hexadecimal digits');
    out.sha256 = hex;
  }
  const dataSaver = checkDataSaver(out);
  return dataSaver ? bad(dataSaver) : { ok: true, metadata: out };
}

/** Whole numbers Data saver sends: the original's size in bytes, and pixel sizes before and after. */
const DATA_SAVER_NUMBERS = {
  originalSize: 2 ** 53 - 1,
  originalWidth: 1e6,
  originalHeight: 1e6,
  width: 1e6,
  height: 1e6,
};

/**
 * Checks (and tidies) what the app says of a photo it made smaller before sending (`dataSaver`
 * `downscaled`): the original's size, pixel sizes and media type. Returns why it is refused, if it is.
 */
function checkDataSaver(out: Record<string, string>): string | null {
  if (out.dataSaver !== undefined && out.dataSaver !== 'downscaled')
    return 'metadata dataSaver must be "downscaled"';
  for (const [key, max] of Object.entries(DATA_SAVER_NUMBERS)) {
    const value = out[key];
    if (value === undefined) continue;
    if (!/^[1-9][0-9]{0,15}$/.test(value) || Number(value) > max) {
      return `metadata ${key} must be a whole number from 1 to ${max}`;
    }
  }
  if (out.originalType !== undefined) {
    const type = normaliseType(out.originalType);
    if (!type) return `metadata originalType ${quote(out.originalType)} is not a media type`;
    out.originalType = type;
  }
  if (out.dataSaver && out.originalSize === undefined) return 'metadata dataSaver needs originalSize';
  return null;
}

function bad(error: string): MetadataCheck {
  return { ok: false, status: 400, error };
}

// Echo at most a short, printable excerpt of what the client sent.
function quote(s: string): string {
  return JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…` : s);
}
