// How well each client uses a ship's link: the same random file through the link emulator playing
// each link profile, uploaded by Tender (the app in Chromium, its real worker), by a Workbox
// background-sync Queue replaying one whole-file request, and by tus-js-client with its defaults.
// Each client gets its own fresh server, link and Chromium profile, one after another.
import { createHash, randomFillSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildClientPages } from './lib/clientPages.mjs';
import { CLIENTS, LOG_COLUMNS, runLinkClient } from './lib/linkClients.mjs';
import { startTender, tempDir } from './lib/servers.mjs';
import { MiB, note, round } from './lib/stats.mjs';

// Compiled from test/support/*.ts by `tsc -p bench` (see the "bench" script).
const { startLinkEmulator, linkProfiles } = await import('../build/bench/test/support/linkEmulator.js');
const { linkFigures } = await import('../build/bench/test/support/linkFigures.js');

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** A nominal loopback rate, only to give the unlimited link a time limit. */
const LAN_NOMINAL_BYTES_PER_SEC = 20 * MiB;
/** Starting Chromium, loading the page through the link, and stopping everything, per client. */
const OVERHEAD_MS = 90_000;
/** Free disk needed per file byte: the file, the app's copy in IndexedDB, the server's copy, with room. */
const DISK_PER_FILE_BYTE = 3.5;

/** Profiles in which the browser goes offline while the link is down (the phone has left the Wi-Fi). */
const OFFLINE_WHILE_DOWN = new Set(['wifiDeadZone']);

/** The profile of one run: its settings and schedule, with the run's options applied. */
function profileOf(run) {
  const make = linkProfiles[run.profile];
  if (!make) throw new Error(`no link profile ${run.profile}`);
  return { ...make(run.options ?? {}), offlineWhileDown: OFFLINE_WHILE_DOWN.has(run.profile) };
}

/** Milliseconds of the schedule during which the link is out (outages and satellite drops). */
const outageMs = (profile) =>
  profile.schedule.reduce(
    (sum, step) =>
      step.action.kind === 'outage' || step.action.kind === 'satDown' ? sum + step.action.forMs : sum,
    0,
  );

/** The file's transfer time at the link's uplink rate, in seconds. */
const idealSecondsOf = (profile, sizeBytes) =>
  sizeBytes / (profile.uplinkBytesPerSec || LAN_NOMINAL_BYTES_PER_SEC);

/** A client's time: 4× the ideal transfer time plus the time the link is out, at least `minLimitMs`. */
export function timeLimitMsOf(run, minLimitMs) {
  const profile = profileOf(run);
  return Math.max(
    minLimitMs,
    Math.round(4 * idealSecondsOf(profile, run.sizeBytes) * 1000 + outageMs(profile)),
  );
}

/** The longest the part may take: every client using all its time, and its overhead. */
export function plannedMs({ runs, minLimitMs }) {
  return runs.reduce((sum, run) => sum + CLIENTS.length * (timeLimitMsOf(run, minLimitMs) + OVERHEAD_MS), 0);
}

/** `size` random bytes in a new file in `dir`, and their SHA-256. */
function writeRandomFile(dir, name, size) {
  const file = path.join(dir, name);
  const fd = fs.openSync(file, 'w');
  const hash = createHash('sha256');
  const block = Buffer.alloc(Math.min(size, 4 * MiB));
  try {
    for (let written = 0; written < size; ) {
      const n = Math.min(block.length, size - written);
      const piece = randomFillSync(block.subarray(0, n));
      fs.writeSync(fd, piece);
      hash.update(piece);
      written += n;
    }
  } finally {
    fs.closeSync(fd);
  }
  return { path: file, name, size, sha256: hash.digest('hex') };
}

const ratio = (a, b) =>
  a !== null && b !== null && a !== undefined && b !== undefined && b > 0 ? round(a / b, 3) : null;

/** Tender against each baseline, where both completed. */
function ratiosOf(clients) {
  const { tender, workbox, tus } = clients;
  const against = (base) => {
    if (!tender?.completed || !base?.completed) return null;
    return {
      wallSeconds: ratio(tender.wallSeconds, base.wallSeconds),
      wireToFile: ratio(tender.wireToFile, base.wireToFile),
      linkShare: ratio(tender.linkShare, base.linkShare),
    };
  };
  return { tenderToWorkbox: against(workbox), tenderToTus: against(tus) };
}

/** Runs `tasks` (functions returning promises), at most `width` at once. */
async function inPool(tasks, width) {
  let next = 0;
  const lane = async () => {
    while (next < tasks.length) await tasks[next++]();
  };
  await Promise.all(Array.from({ length: Math.min(width, tasks.length) }, lane));
}

/**
 * Runs every profile with every client; see bench/README.md. With `parallel` above 1, runs on a
 * rate-limited link (every profile but `lan`) go that many at once, each client on its own server,
 * link and Chromium as always; at 2–20 Mbit/s the machine is idle beside them. `lan` runs alone.
 */
export async function measureLink({ runs, minLimitMs, parallel = 1 }) {
  if (!fs.existsSync(path.join(ROOT, 'dist/sw.js'))) {
    throw new Error(
      'The app is not built: run `npm run build` first (the link part drives dist/ in Chromium)',
    );
  }
  const dir = tempDir('link');
  const pagesDir = await buildClientPages(path.join(dir, 'pages'));
  const results = [];
  const limited = [];
  const alone = [];
  try {
    for (const run of runs) {
      const profile = profileOf(run);
      const timeLimitMs = timeLimitMsOf(run, minLimitMs);
      const free = fs.statfsSync(dir);
      const entry = {
        profile: run.profile,
        options: run.options ?? {},
        sizeBytes: run.sizeBytes,
        uplinkBytesPerSec: profile.uplinkBytesPerSec,
        delayMs: profile.delayMs,
        schedule: profile.schedule,
        offlineWhileDown: profile.offlineWhileDown,
        idealSeconds: profile.uplinkBytesPerSec ? round(run.sizeBytes / profile.uplinkBytesPerSec, 1) : null,
        timeLimitSeconds: Math.round(timeLimitMs / 1000),
        clients: {},
      };
      results.push(entry);
      if (free.bavail * free.bsize < DISK_PER_FILE_BYTE * run.sizeBytes) {
        entry.skipped = `needs ${Math.ceil((DISK_PER_FILE_BYTE * run.sizeBytes) / 2 ** 30)} GiB free on disk`;
        note(`${run.profile}: skipped, ${entry.skipped}`);
        continue;
      }
      // A run may name its clients (e.g. the app alone at full size); all three by default.
      const clients = run.clients ?? CLIENTS;
      let file = null;
      let left = clients.length;
      const measureOne = (client) => async () => {
        if (!file) {
          note(`${run.profile}: ${run.sizeBytes / MiB} MiB, ${entry.timeLimitSeconds} s per client`);
          file = writeRandomFile(dir, `link-${run.profile}.mp4`, run.sizeBytes);
        }
        try {
          entry.clients[client] = await runLinkClient({
            client,
            profile,
            file,
            startServer: (env) => startTender(env),
            tools: { startLinkEmulator, linkFigures },
            pagesDir,
            serverEnv: { TENDER_MAX_UPLOAD_BYTES: String(Math.max(5 * 1024 * MiB, 2 * run.sizeBytes)) },
            timeLimitMs,
            measureHeap: run.heap === true,
            note,
          });
        } catch (error) {
          note(`${run.profile} ${client}: ${error.stack ?? error}`);
          entry.clients[client] = { client, completed: false, error: String(error.message ?? error) };
        } finally {
          if (--left === 0) {
            fs.rmSync(file.path, { force: true });
            entry.ratios = ratiosOf(entry.clients);
            if (!profile.uplinkBytesPerSec) entry.throughput = throughputOf(entry.clients, run.sizeBytes);
          }
        }
      };
      (profile.uplinkBytesPerSec ? limited : alone).push(...clients.map(measureOne));
    }
    await inPool(limited, parallel);
    await inPool(alone, 1);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return { minLimitSeconds: minLimitMs / 1000, parallel, logRequestColumns: LOG_COLUMNS, profiles: results };
}

/** On an unlimited link: MiB/s from the file being added, and from its first byte on the link. */
function throughputOf(clients, sizeBytes) {
  const figures = {};
  for (const [client, r] of Object.entries(clients)) {
    if (!r.completed) continue;
    const fromFirstByte = r.wallSeconds - (r.firstUploadByteSeconds ?? 0);
    figures[client] = {
      fromAddMiBps: round(sizeBytes / MiB / r.wallSeconds, 1),
      fromFirstByteMiBps: round(sizeBytes / MiB / fromFirstByte, 1),
    };
  }
  return {
    ...figures,
    ratioTenderToTus: ratio(figures.tender?.fromAddMiBps, figures.tus?.fromAddMiBps),
    ratioTenderToTusFromFirstByte: ratio(figures.tender?.fromFirstByteMiBps, figures.tus?.fromFirstByteMiBps),
  };
}
