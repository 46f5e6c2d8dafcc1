// One upload of one file by one client in Chromium, through a fresh link emulator playing one link
// profile, to a fresh Tender server: the app itself (its page loads through the link, its worker
// uploads), or a baseline page served by Tender from the same origin. Used by bench/link.mjs and by
// the smoke test test/playwright/linkBench.spec.ts, which pass in their own server and emulator.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from './chromium.mjs';
import { PAGES } from './clientPages.mjs';

const POLL_MS = 250;

/** Opens a baseline page with the device's token and waits until it says it is ready. */
async function openBaselinePage(page, url, token) {
  await page.goto(`${url}#token=${token}`, { timeout: PAGE_LOAD_TIMEOUT_MS });
  await page.waitForFunction(() => window.benchStatus?.ready === true, null, {
    timeout: PAGE_LOAD_TIMEOUT_MS,
  });
}
const OFFLINE_POLL_MS = 100;
const PAGE_LOAD_TIMEOUT_MS = 120_000;

/** The clients, in the order they run. */
export const CLIENTS = ['tender', 'workbox', 'tus'];

/** How each client is driven in its page. */
const DRIVERS = {
  tender: {
    async open(page, base, token) {
      await page.goto(`${base}/enroll#token=${token}`, { timeout: PAGE_LOAD_TIMEOUT_MS });
      await page.getByRole('heading', { name: 'Upload queue' }).waitFor({ timeout: PAGE_LOAD_TIMEOUT_MS });
      await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, {
        timeout: PAGE_LOAD_TIMEOUT_MS,
      });
    },
    input: 'Add files',
    // The app says a file is done once its item in IndexedDB is `uploaded` (the row then says Uploaded).
    confirms: true,
    async state(page, name) {
      const item = await page.evaluate(readItem, name);
      return {
        done: item?.status === 'uploaded',
        failed: item?.status === 'failed' ? (item.lastError ?? 'failed') : null,
        detail: item,
      };
    },
  },
  workbox: {
    open: (page, base, token) => openBaselinePage(page, `${base}${PAGES.workbox}`, token),
    input: 'File',
    // A replay by the Queue tells no one: only the server knows the file arrived.
    confirms: false,
    async state(page) {
      const status = await page.evaluate(() => window.benchStatus);
      const refused = status.events.find((e) => e.type === 'answered' && (e.status < 200 || e.status > 299));
      return { done: false, failed: refused ? `answered ${refused.status}` : null, detail: status.events };
    },
  },
  tus: {
    open: (page, base, token) => openBaselinePage(page, `${base}${PAGES.tus}`, token),
    input: 'File',
    confirms: true,
    async state(page) {
      const status = await page.evaluate(() => window.benchStatus);
      return {
        done: status.state === 'done',
        failed: status.state === 'error' ? status.error : null,
        detail: status,
      };
    },
  },
};

/** The app's queue item named `name` in IndexedDB, without its bytes (runs in the page). */
function readItem(name) {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open('tender');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      if (!db.objectStoreNames.contains('items')) {
        db.close();
        resolve(null);
        return;
      }
      const req = db.transaction('items').objectStore('items').getAll();
      req.onsuccess = () => {
        db.close();
        const item = req.result.find((i) => i.name === name);
        if (!item) return resolve(null);
        const {
          status,
          waitReason,
          bytesConfirmed,
          bytesSent,
          tries,
          restarts,
          attempts,
          waitingMs,
          lastError,
        } = item;
        resolve({
          status,
          waitReason,
          bytesConfirmed,
          bytesSent,
          tries,
          restarts,
          attempts,
          waitingMs,
          lastError,
        });
      };
      req.onerror = () => reject(req.error);
    };
  });
}

/**
 * The JS heap of the page's service worker over the DevTools protocol: the page's session attaches
 * to the worker's target and passes messages to it.
 */
async function workerHeap(context, page) {
  const cdp = await context.newCDPSession(page);
  const { targetInfos } = await cdp.send('Target.getTargets');
  const worker = targetInfos.find((t) => t.type === 'service_worker');
  if (!worker) throw new Error('no service worker target');
  const { sessionId } = await cdp.send('Target.attachToTarget', {
    targetId: worker.targetId,
    flatten: false,
  });
  let next = 0;
  const pending = new Map();
  cdp.on('Target.receivedMessageFromTarget', (event) => {
    if (event.sessionId !== sessionId) return;
    const message = JSON.parse(event.message);
    const waiter = pending.get(message.id);
    if (!waiter) return;
    pending.delete(message.id);
    if (message.error) waiter.reject(new Error(`${message.error.message}`));
    else waiter.resolve(message.result);
  });
  const send = (method, params = {}) =>
    new Promise((resolve, reject) => {
      const id = ++next;
      pending.set(id, { resolve, reject });
      cdp
        .send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method, params }) })
        .catch((error) => {
          pending.delete(id);
          reject(error);
        });
    });
  return {
    /** Used and total JS heap, and the bytes of ArrayBuffers and the like held outside it. */
    async usage() {
      const r = await send('Runtime.getHeapUsage');
      return {
        usedBytes: r.usedSize,
        totalBytes: r.totalSize,
        backingStorageBytes: r.backingStorageSize ?? 0,
      };
    },
    collectGarbage: () => send('HeapProfiler.collectGarbage'),
    close: () => cdp.detach().catch(() => {}),
  };
}

/** The heap of an idle worker: garbage collected, then the median of a few readings. */
async function idleHeap(heap) {
  await heap.collectGarbage().catch(() => {});
  const readings = [];
  for (let i = 0; i < 4; i++) {
    readings.push(await heap.usage());
    await sleep(250);
  }
  readings.sort((a, b) => a.usedBytes - b.usedBytes);
  return readings[2];
}

/** While the link is down, the browser is offline too, as a phone that has left the Wi-Fi is. */
function followOffline(context, link) {
  let offline = false;
  const changes = [];
  const timer = setInterval(() => {
    const down = link.state === 'down';
    if (down === offline) return;
    offline = down;
    changes.push({ at: Date.now(), offline });
    context.setOffline(down).catch(() => {});
  }, OFFLINE_POLL_MS);
  return {
    changes,
    async stop() {
      clearInterval(timer);
      if (offline) await context.setOffline(false).catch(() => {});
    },
  };
}

/**
 * What the link saw from the file being added to the end, times in ms from the file being added:
 * requests as LOG_COLUMNS, state changes as [ms, state], resets and blackholes as [ms, kind, connections].
 */
function logOf(link, addedAt, endAt) {
  const rel = (t) => (t === null ? null : Math.round(t - addedAt));
  return {
    requests: link.requests
      .filter((r) => r.startedAt >= addedAt && r.startedAt <= endAt)
      .map((r) => [
        r.connection,
        r.method,
        r.path.slice(0, 24),
        r.bodyBytes,
        r.upBytes,
        rel(r.startedAt),
        rel(r.bodyStartedAt),
        rel(r.sentAt),
        rel(r.endedAt),
        r.status,
      ]),
    timeline: link.timeline.filter((c) => c.at >= addedAt && c.at <= endAt).map((c) => [rel(c.at), c.state]),
    faults: link.faults
      .filter((f) => f.at >= addedAt && f.at <= endAt)
      .map((f) => [rel(f.at), f.kind, f.connections]),
  };
}

/** The columns of each request in a client's `log.requests`. */
export const LOG_COLUMNS = [
  'connection',
  'method',
  'path (first 24 characters)',
  'bodyBytes',
  'upBytes',
  'startedMs',
  'bodyStartedMs',
  'sentMs',
  'endedMs',
  'status',
];

/** The most bytes the server holds of any unfinished upload (its acknowledged offsets), and how many it has. */
function partialsOf(dataDir) {
  const file = path.join(dataDir, 'tender.db');
  if (!fs.existsSync(file)) return { heldBytes: 0, uploads: 0 };
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const row = db.prepare('SELECT max(acked) AS held, count(*) AS uploads FROM partials').get();
    return { heldBytes: row?.held ?? 0, uploads: row?.uploads ?? 0 };
  } finally {
    db.close();
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const round = (value, digits) => (value === null ? null : Math.round(value * 10 ** digits) / 10 ** digits);

/** Figures with as many digits as they can be trusted to. */
function roundFigures(f) {
  return {
    ...f,
    wallSeconds: round(f.wallSeconds, 2),
    wireToFile: round(f.wireToFile, 4),
    linkShare: round(f.linkShare, 4),
    probeAndProgressToPayload: round(f.probeAndProgressToPayload, 6),
    restores: f.restores.map((r) => ({ ...r, at: Math.round(r.at) })),
  };
}

/**
 * Uploads `file` with `client` through a fresh emulator playing `profile` to a fresh server.
 * The schedule starts when the file is handed to the client. Done when the server's record of the
 * file has the right sha256 and the client says so (the app: its item is `uploaded`; tus-js-client:
 * onSuccess; the Workbox Queue tells no one, so the record alone). Gives up at `timeLimitMs`, or
 * when the client gives up by itself.
 *
 * The options and the result are typed in linkClients.d.mts.
 */
export async function runLinkClient(o) {
  const { client, profile, file, tools, timeLimitMs, note = () => {} } = o;
  const driver = DRIVERS[client];
  if (!driver) throw new Error(`unknown client ${client}`);
  const env = { ...o.serverEnv };
  if (client !== 'tender') {
    if (!o.pagesDir) throw new Error('the baselines need pagesDir');
    env.TENDER_STATIC_DIR = o.pagesDir;
  }
  const cleanups = [];
  const server = await o.startServer(env);
  cleanups.push(() => server.stop());
  try {
    const token = await server.enroll(`bench ${client}`);
    const { uplinkBytesPerSec, downlinkBytesPerSec, delayMs, jitterMs } = profile;
    const link = await tools.startLinkEmulator(server.url, {
      uplinkBytesPerSec,
      downlinkBytesPerSec,
      delayMs,
      jitterMs,
    });
    cleanups.push(() => link.close());
    const profileDir = fs.mkdtempSync(path.join(os.tmpdir(), `tender-bench-link-${client}-`));
    cleanups.push(() => fs.rmSync(profileDir, { recursive: true, force: true }));
    const context = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      args: CHROMIUM_ARGS,
    });
    cleanups.push(() => context.close().catch(() => {}));
    const page = context.pages()[0] ?? (await context.newPage());

    const loadStarted = Date.now();
    await driver.open(page, link.url, token);
    const pageLoad = {
      seconds: (Date.now() - loadStarted) / 1000,
      upBytes: link.stats.upBytes,
      downBytes: link.stats.downBytes,
    };
    const heap = o.measureHeap && client === 'tender' ? await workerHeap(context, page) : null;
    if (heap) cleanups.push(() => heap.close());
    const heapIdle = heap ? await idleHeap(heap) : null;
    const heapSamples = [];

    const upBefore = link.stats.upBytes;
    const downBefore = link.stats.downBytes;
    const addedAt = Date.now();
    const stopSchedule = link.play(profile.schedule);
    const offline = profile.offlineWhileDown ? followOffline(context, link) : null;
    if (offline) cleanups.push(() => offline.stop());
    await page.getByLabel(driver.input).setInputFiles(file.path);
    note(`${profile.name} ${client}: file added`);

    let record;
    let state = { done: false, failed: null, detail: null };
    let failure = null;
    let lastNote = addedAt;
    const deadline = addedAt + timeLimitMs;
    for (;;) {
      record = (await server.records()).find((r) => r.name === file.name && r.size === file.size);
      if (record && record.sha256 !== file.sha256) {
        failure = `the server's record has sha256 ${record.sha256}, not ${file.sha256}`;
        break;
      }
      state = await driver.state(page, file.name).catch((error) => ({
        done: false,
        failed: null,
        detail: `page not readable: ${error.message}`,
      }));
      if (heap) {
        const sample = await heap.usage().catch(() => null);
        if (sample) heapSamples.push({ at: Date.now(), ...sample });
      }
      if (record && (state.done || !driver.confirms)) break;
      if (state.failed) {
        failure = `the client gave up: ${state.failed}`;
        break;
      }
      if (Date.now() > deadline) {
        failure = `time limit of ${Math.round(timeLimitMs / 1000)} s reached`;
        break;
      }
      if (Date.now() - lastNote > 30_000) {
        lastNote = Date.now();
        note(
          `${profile.name} ${client}: ${Math.round((lastNote - addedAt) / 1000)} s, ${link.stats.upBytes - upBefore} bytes up`,
        );
      }
      await sleep(POLL_MS);
    }
    const stoppedAt = Date.now();
    const completed = failure === null;
    const upBytes = link.stats.upBytes - upBefore;
    const downBytes = link.stats.downBytes - downBefore;
    stopSchedule();
    await offline?.stop();
    // The server's own time of completion, not when this loop noticed it.
    const endAt = completed ? Math.min(stoppedAt, Date.parse(record.receivedAt)) : stoppedAt;
    const partials = partialsOf(server.dataDir);
    const achievedBytes = completed ? file.size : partials.heldBytes;

    let heapFigures = null;
    if (heap) {
      await sleep(2_000);
      const after = await idleHeap(heap).catch(() => null);
      const during = heapSamples.filter((s) => s.at <= endAt);
      const peak = during.reduce((max, s) => (s.usedBytes > max.usedBytes ? s : max), heapIdle);
      heapFigures = {
        idleUsedBytes: heapIdle.usedBytes,
        peakUsedBytes: peak.usedBytes,
        peakAboveIdleBytes: peak.usedBytes - heapIdle.usedBytes,
        peakBackingStorageBytes: Math.max(0, ...during.map((s) => s.backingStorageBytes)),
        afterUsedBytes: after?.usedBytes ?? null,
        samples: during.length,
      };
    }
    const figures = roundFigures(
      tools.linkFigures({
        fileBytes: file.size,
        uplinkBytesPerSec: profile.uplinkBytesPerSec,
        addedAt,
        endAt,
        completed,
        achievedBytes,
        upBytes,
        requests: link.requests,
        timeline: link.timeline,
        faults: link.faults,
      }),
    );
    const bodies = link.requests.filter(
      (r) => r.startedAt >= addedAt && r.path.startsWith('/files') && r.bodyStartedAt,
    );
    const firstByteAt = bodies.length ? Math.min(...bodies.map((r) => r.bodyStartedAt)) : null;
    note(
      `${profile.name} ${client}: ${completed ? 'done' : `not done (${failure})`} in ${figures.wallSeconds.toFixed(1)} s`,
    );
    return {
      client,
      completed,
      failure,
      achievedBytes,
      unfinishedUploadsOnServer: partials.uploads,
      upBytes,
      downBytes,
      firstUploadByteSeconds: firstByteAt === null ? null : round((firstByteAt - addedAt) / 1000, 3),
      pageLoad: { ...pageLoad, seconds: round(pageLoad.seconds, 2) },
      offlineChanges: offline?.changes ?? [],
      faults: link.faults.filter((f) => f.at >= addedAt && f.at <= endAt).length,
      clientState: state.detail,
      ...figures,
      heap: heapFigures,
      log: logOf(link, addedAt, endAt),
    };
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup();
  }
}
