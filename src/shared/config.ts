/** tus creation endpoint on the Tender server. */
export const TUS_ENDPOINT = '/files/';

/**
 * Bytes per PATCH. 2 MiB takes ~8 s at 2 Mbit/s: short enough that a drop wastes little and a
 * run can stop at a chunk boundary, long enough that the round trip per chunk costs under 10%.
 */
export const DEFAULT_CHUNK_SIZE = 2 * 1024 * 1024;

/** A request with no answer after this long (plus time for its body) is treated as stalled. */
export const STALL_TIMEOUT_MS = 20_000;

/** Slowest rate a PATCH body is allowed before it counts as stalled: 16 KiB/s (128 kbit/s). */
export const MIN_BYTES_PER_SEC = 16 * 1024;

/** A run starts no new chunk after this long; Chromium stops a sync event's worker at ~3 min. */
export const RUN_BUDGET_MS = 120_000;

/** A run is aborted outright after this long. */
export const RUN_HARD_LIMIT_MS = 150_000;

/** Longest wait for the server's answer to "do you already hold this file?" before uploading it anyway. */
export const DEDUPE_TIMEOUT_MS = 15_000;
