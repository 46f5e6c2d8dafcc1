/** tus creation endpoint on the Tender server. */
export const TUS_ENDPOINT = '/files/';

/** A run starts no new chunk after this long; Chromium stops a sync event's worker at ~3 min. */
export const RUN_BUDGET_MS = 120_000;

/** A run is aborted outright after this long. */
export const RUN_HARD_LIMIT_MS = 150_000;

/** Longest wait for the server's answer to "do you already hold this file?" before uploading it anyway. */
export const DEDUPE_TIMEOUT_MS = 15_000;

/** Longest wait for the server's answer to "which of these files are ashore?" (`GET /api/ashore`). */
export const ASHORE_TIMEOUT_MS = 15_000;

/** How often an open page asks again while a file it shows is on board an on-board relay. */
export const ASHORE_POLL_MS = 30_000;

/**
 * How long a stored file is held for the page that is hashing it; the page renews the hold every
 * third of it. A page closed mid-hash lets the file go this long after: unhashed, its blocks are
 * still checked one by one.
 */
export const CHECKING_HOLD_MS = 15_000;

/** Data saver: the longest edge, in pixels, of a photo made smaller before upload (about 3 MP at 3:2). */
export const DATA_SAVER_LONG_EDGE = 2048;

/** Data saver: JPEG quality (0–1) of a photo made smaller; 0.85 keeps text on a gauge or a plate legible. */
export const DATA_SAVER_QUALITY = 0.85;

/** Data saver: the smaller copy is sent only if it saves at least this fraction of the original's bytes. */
export const DATA_SAVER_MIN_SAVING = 0.2;
