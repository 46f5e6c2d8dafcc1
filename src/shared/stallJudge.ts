/**
 * Decides when a request in flight is dead, from the link's measured round trip.
 *
 * A fixed limit cannot fit both a silent connection on a GEO link (it should be given up within
 * seconds: a router that failed over will never carry it again) and a slow link that still
 * moves. So a PATCH is judged by the server's count of bytes received, read every second or
 * two: it is stalled when that count stopped moving for a few round trips while the reads kept
 * answering. Bytes handed to the socket say nothing: socket buffers hide ~15 s of a satellite
 * link (see RESEARCH.md).
 */

import type { SpendKind } from './spendLedger.ts';

/** Where traffic is reported, for the link estimator and the data ledger. */
export interface LinkTraffic {
  /** The server answered; `rttMs` when the request was small enough to time a round trip. */
  answered(rttMs?: number): void;
  /** `bytes` reached the server over `ms`. */
  transferred(bytes: number, ms: number): void;
  /** A request got no answer (reset, or given up as stalled). */
  failed(): void;
  /** Bytes that went over the link for a request, headers included (approximated). */
  spent?(bytes: number, kind: SpendKind): void;
}

/** Limits for one request, from the round trip at the time it starts. */
export interface StallLimits {
  /** How often to read the server's received count during a PATCH. */
  readEveryMs: number;
  /** A progress read with no answer after this long counts as failed. */
  readTimeoutMs: number;
  /** Reads answer but the count has not moved for this long: stalled. */
  silentMs: number;
  /** Nothing moved and no read answered for this long: stalled, the whole link is likely gone. */
  blindMs: number;
  /** A small request (HEAD, POST, a probe) with no answer after this long: stalled. */
  answerMs: number;
  /** Once the server holds the whole body, time allowed for its answer (fsync of a big chunk). */
  settleMs: number;
}

const clamp = (value: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, value));

/**
 * Limits from the smoothed round trip and its variation (RFC 6298's RTO = SRTT + 4·RTTVAR).
 * With 600 ms ± 100 ms (GEO): reads every 1.5 s, silent after 5 s, small requests after 3 s (a
 * new connection's handshake and the request take two round trips).
 * Before any round trip is known, 1 s is assumed: a little slow on a LAN, right for a satellite.
 */
export function stallLimits(rttMs: number | null, rttVarMs = 0): StallLimits {
  const rtt = rttMs ?? 1000;
  // The variation term is capped at one round trip: samples taken on new connections (a handshake
  // more) and on pooled ones mix, and their spread alone must not double the limits.
  const rto = Math.max(200, rtt + Math.min(rtt, 4 * (rttMs === null ? rtt / 2 : rttVarMs)));
  const readEveryMs = clamp(2.5 * rtt, 1000, 3000);
  const silentMs = clamp(2 * rto + 2 * readEveryMs, 3000, 30_000);
  return {
    readEveryMs,
    readTimeoutMs: clamp(2 * rto, 1000, 10_000),
    silentMs,
    blindMs: 2 * silentMs,
    answerMs: clamp(3 * rto, 2500, 30_000),
    settleMs: silentMs + 10_000,
  };
}

/** Why a request was given up. */
export type StallVerdict = 'silent' | 'blind' | 'no-answer';

/**
 * Bytes the server's count must gain to count as moving: a link that trickles a byte a second is
 * as good as dead, and must not hold a request open forever (about 400 B/s over a 5 s window).
 */
export const MIN_MOVE_BYTES = 2048;

/** Follows one PATCH through progress reads and says when it is dead. */
export class StallJudge {
  readonly #limits: StallLimits;
  readonly #endOffset: number;
  #best: number;
  /** The count when it last counted as moving. */
  #mark: number;
  #movedAt: number;
  #lastOkReadAt: number | null = null;
  #completeAt: number | null = null;

  /** @param startOffset the PATCH's Upload-Offset; @param bodyBytes its body's length */
  constructor(limits: StallLimits, startOffset: number, bodyBytes: number, startedAt: number) {
    this.#limits = limits;
    this.#best = startOffset;
    this.#mark = startOffset;
    this.#endOffset = startOffset + bodyBytes;
    this.#movedAt = startedAt;
  }

  /** Highest count of bytes the server reported. */
  get received(): number {
    return this.#best;
  }

  /**
   * A read answered with the server's count at `at`; `idleMs`, when the server says it, is how long
   * before that its last byte arrived (a read that comes late after a gap must not look like fresh
   * movement). Returns how many new bytes it shows.
   */
  read(received: number, at: number, idleMs?: number): number {
    this.#lastOkReadAt = at;
    if (!(received > this.#best)) return 0;
    const gained = received - this.#best;
    this.#best = received;
    if (received - this.#mark >= MIN_MOVE_BYTES || received >= this.#endOffset) {
      this.#mark = received;
      this.#movedAt = Math.max(this.#movedAt, at - Math.max(0, idleMs ?? 0));
    }
    if (received >= this.#endOffset && this.#completeAt === null) this.#completeAt = at;
    return gained;
  }

  /** The verdict at `now`: null while the request may still be alive. */
  verdict(now: number): StallVerdict | null {
    const limits = this.#limits;
    if (this.#completeAt !== null) return now - this.#completeAt > limits.settleMs ? 'no-answer' : null;
    const still = now - this.#movedAt;
    // Silent only when a read answered after the count stopped: then the server itself says so.
    const heard = this.#lastOkReadAt !== null && this.#lastOkReadAt > this.#movedAt;
    if (heard && still > limits.silentMs) return 'silent';
    if (still > limits.blindMs) return 'blind';
    return null;
  }
}
