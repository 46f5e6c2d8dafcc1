// Types of linkClients.mjs, for the smoke test that runs it from TypeScript.
import type { LinkEmulator, LinkOptions, LinkProfile } from '../../test/support/linkEmulator.ts';
import type { LinkFigures, LinkRun } from '../../test/support/linkFigures.ts';

/** The app, the Workbox Queue baseline, tus-js-client with its defaults. */
export type LinkClient = 'tender' | 'workbox' | 'tus';

/** The clients, in the order they run. */
export declare const CLIENTS: readonly LinkClient[];

/** A fresh Tender server with an admin token behind it. */
export interface BenchServer {
  url: string;
  dataDir: string;
  /** Enrols a device; its bearer token. */
  enroll(name: string): Promise<string>;
  records(): Promise<{ name: string; size: number; sha256: string; receivedAt: string }[]>;
  stop(): Promise<void>;
}

export interface LinkClientOptions {
  client: LinkClient;
  /** Played from the moment the file is handed to the client. */
  profile: LinkProfile & { offlineWhileDown?: boolean };
  file: { path: string; name: string; size: number; sha256: string };
  startServer(env: Record<string, string>): Promise<BenchServer>;
  /** The emulator and the figures: compiled by `tsc -p bench` for the bench, the sources in tests. */
  tools: {
    startLinkEmulator(target: string, options?: LinkOptions): Promise<LinkEmulator>;
    linkFigures(run: LinkRun): LinkFigures;
  };
  /** The baselines' pages (clientPages.mjs); needed for the baselines only. */
  pagesDir?: string;
  serverEnv?: Record<string, string>;
  timeLimitMs: number;
  /** Sample the app worker's JS heap over the DevTools protocol (Tender only). */
  measureHeap?: boolean;
  note?(message: string): void;
}

/** The app worker's JS heap: idle (after a garbage collection), at its peak while uploading, after. */
export interface HeapFigures {
  idleUsedBytes: number;
  peakUsedBytes: number;
  peakAboveIdleBytes: number;
  /** ArrayBuffers and the like, held outside the JS heap. */
  peakBackingStorageBytes: number;
  afterUsedBytes: number | null;
  samples: number;
}

export interface LinkClientResult extends LinkFigures {
  client: LinkClient;
  completed: boolean;
  /** Why it did not complete. */
  failure: string | null;
  /** Bytes of the file the server held at the end. */
  achievedBytes: number;
  unfinishedUploadsOnServer: number;
  upBytes: number;
  downBytes: number;
  firstUploadByteSeconds: number | null;
  pageLoad: { seconds: number; upBytes: number; downBytes: number };
  offlineChanges: { at: number; offline: boolean }[];
  faults: number;
  /** What the client itself said last (the app: its queue item). */
  clientState: unknown;
  heap: HeapFigures | null;
  /** What the link saw, in ms from the file being added; requests as LOG_COLUMNS. */
  log: {
    requests: (string | number | null)[][];
    timeline: [number, string][];
    faults: [number, string, number][];
  };
}

/** The columns of each request in `log.requests`. */
export declare const LOG_COLUMNS: readonly string[];

/** Uploads the file with one client through a fresh link emulator to a fresh server. */
export declare function runLinkClient(options: LinkClientOptions): Promise<LinkClientResult>;
