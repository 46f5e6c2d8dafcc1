/** Rates and delays of an emulated link. Rates in bytes per second; 0 means unlimited. */
export interface LinkSettings {
  /** Browser → server, one budget shared by every connection. */
  uplinkBytesPerSec: number;
  /** Server → browser, one budget shared by every connection. */
  downlinkBytesPerSec: number;
  /** Added to each direction (half the round trip). */
  delayMs: number;
  /** Up to this much more delay, at random per piece of data; bytes keep their order. */
  jitterMs: number;
}

/** Something that happens to the link. */
export type LinkAction =
  /** Every open connection is destroyed at once. */
  | { kind: 'reset' }
  /** Every open connection goes silent for good (multi-WAN failover); new ones work. */
  | { kind: 'blackhole' }
  /** Open connections drop and new ones are refused for `forMs`. */
  | { kind: 'outage'; forMs: number }
  /** Satellite down behind live Wi-Fi: open connections go silent, new ones hang for `forMs`. */
  | { kind: 'satDown'; forMs: number }
  /** Nothing is forwarded for `forMs` (or a random time in the range); bytes wait, connections stay. */
  | { kind: 'loss'; forMs: number | readonly [number, number] }
  /** New rates; an absent one is left as it is. */
  | { kind: 'rates'; uplinkBytesPerSec?: number; downlinkBytesPerSec?: number };

/**
 * One step of a link's script: `atMs` after the script starts (and every `everyMs` after that), or
 * once, exactly when the uplink has carried `atUplinkBytes` in all.
 */
export type LinkStep =
  | { atMs: number; everyMs?: number; action: LinkAction }
  | { atUplinkBytes: number; action: LinkAction };

/** A named link: its settings and its script. Plain data; pass it to `startLinkEmulator`. */
export interface LinkProfile extends LinkSettings {
  name: string;
  schedule: readonly LinkStep[];
}

const MBIT = 1_000_000 / 8;

const lan = (): LinkProfile => ({
  name: 'lan',
  uplinkBytesPerSec: 0,
  downlinkBytesPerSec: 0,
  delayMs: 0,
  jitterMs: 0,
  schedule: [],
});

// A VSAT terminal on a geostationary satellite: 600 ms round trip; a yacht's plan is about as slow
// down as up.
const geo = (): LinkProfile => ({
  name: 'geo',
  uplinkBytesPerSec: 2 * MBIT,
  downlinkBytesPerSec: 2 * MBIT,
  delayMs: 300,
  jitterMs: 0,
  schedule: [],
});

/** The links the project tests and measures against. Each returns fresh plain data. */
export const linkProfiles = {
  /** No limits, no delay. */
  lan,
  /** 2 Mbit/s each way, 600 ms round trip. */
  geo,
  /** `geo`, and every open connection is reset every `everyMs` (40 s). */
  geoResets: ({ everyMs = 40_000 } = {}): LinkProfile => ({
    ...geo(),
    name: 'geoResets',
    schedule: [{ atMs: everyMs, everyMs, action: { kind: 'reset' } }],
  }),
  /** `geo`, and every open connection is silently blackholed every `everyMs` (40 s). */
  geoStalls: ({ everyMs = 40_000 } = {}): LinkProfile => ({
    ...geo(),
    name: 'geoStalls',
    schedule: [{ atMs: everyMs, everyMs, action: { kind: 'blackhole' } }],
  }),
  /**
   * Low-orbit: 20 Mbit/s up, 100 down (maritime plans are that lopsided), 40 ms round trip with
   * 10 ms of jitter, and a burst of loss of `lossMs` (1–2 s) every `everyMs` (15 s), as satellites
   * hand over.
   */
  starlink: ({
    everyMs = 15_000,
    lossMs = [1_000, 2_000] as number | readonly [number, number],
  } = {}): LinkProfile => ({
    name: 'starlink',
    uplinkBytesPerSec: 20 * MBIT,
    downlinkBytesPerSec: 100 * MBIT,
    delayMs: 20,
    jitterMs: 10,
    schedule: [{ atMs: everyMs, everyMs, action: { kind: 'loss', forMs: lossMs } }],
  }),
  /**
   * The device walks out of Wi-Fi: a full outage (drop open, refuse new) of `forMs` (5 min),
   * `atMs` (30 s) in, over `geo` rates or, with `rates: 'lan'`, none.
   */
  wifiDeadZone: ({ atMs = 30_000, forMs = 300_000, rates = 'geo' as 'geo' | 'lan' } = {}): LinkProfile => ({
    ...(rates === 'lan' ? lan() : geo()),
    name: 'wifiDeadZone',
    schedule: [{ atMs, action: { kind: 'outage', forMs } }],
  }),
  /**
   * `geo`, and `atMs` (30 s) in the satellite drops for `forMs` (30 s) behind live Wi-Fi: open
   * connections go silent for good, new ones hang until it returns, the browser stays online.
   */
  satDownBehindWifi: ({ atMs = 30_000, forMs = 30_000 } = {}): LinkProfile => ({
    ...geo(),
    name: 'satDownBehindWifi',
    schedule: [{ atMs, action: { kind: 'satDown', forMs } }],
  }),
};

/** The name of one of `linkProfiles`. */
export type LinkProfileName = keyof typeof linkProfiles;
