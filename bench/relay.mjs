// The on-board relay over the satellite: a crew device uploads a file to the box at LAN speed, the
// box forwards it to shore through the link emulator playing each GEO profile. Baseline in the same
// run: tus-js-client's Node build with its defaults sending the same file straight through an
// identical link to a fresh shore (what a ship without Tender's relay would do).
import { createHash, randomFillSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Upload } from 'tus-js-client';
import { startTender, tempDir } from './lib/servers.mjs';
import { MiB, note, round } from './lib/stats.mjs';
import { requestJson, TusClient } from './lib/tus.mjs';

const { startLinkEmulator, linkProfiles } = await import('../build/bench/test/support/linkEmulator.js');
const { linkFigures } = await import('../build/bench/test/support/linkFigures.js');

/** `size` random bytes in a new file in `dir`, and their SHA-256. */
function randomFile(dir, size) {
  const file = path.join(dir, 'payload.bin');
  const bytes = randomFillSync(Buffer.alloc(size));
  fs.writeFileSync(file, bytes);
  return { path: file, bytes, size, sha256: createHash('sha256').update(bytes).digest('hex') };
}

const outageMs = (profile) =>
  profile.schedule.reduce(
    (sum, s) => (s.action.kind === 'outage' || s.action.kind === 'satDown' ? sum + s.action.forMs : sum),
    0,
  );

/** Polls shore until it holds `sha256` or `deadline` passes; the record's receivedAt, or null. */
async function ashoreBy(shore, sha256, deadline) {
  while (Date.now() < deadline) {
    const record = (await shore.records(50)).find((r) => r.sha256 === sha256);
    if (record) return Date.parse(record.receivedAt);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return null;
}

/** Bytes of the file shore holds for `deviceId`, finished or not. */
async function heldBy(shore, deviceId, sha256) {
  if ((await shore.records(50)).some((r) => r.sha256 === sha256)) return Number.POSITIVE_INFINITY;
  const unfinished = await requestJson(new URL(`/api/devices/${deviceId}/unfinished`, shore.url), {
    token: shore.adminToken,
  });
  return Math.max(0, ...unfinished.map((u) => u.offset));
}

/** The link figures of one client run, from the moment the file was handed over to `endAt`. */
function figuresOf(link, profile, file, addedAt, endAt, completed, held) {
  const achieved = Math.min(file.size, held);
  return linkFigures({
    fileBytes: file.size,
    uplinkBytesPerSec: profile.uplinkBytesPerSec ?? 0,
    addedAt,
    endAt,
    completed,
    achievedBytes: achieved,
    upBytes: link.stats.upBytes,
    requests: link.requests,
    timeline: link.timeline,
    faults: link.faults,
  });
}

/** A shore server, the ship's device on it, and a link emulator in front of it playing `profile`. */
async function shoreBehindLink(profile) {
  const shore = await startTender();
  const ship = await requestJson(new URL('/api/devices', shore.url), {
    method: 'POST',
    token: shore.adminToken,
    body: { name: 'Ship' },
    expect: 201,
  });
  const link = await startLinkEmulator(shore.url, profile);
  return { shore, ship, link };
}

/** The relay: a crew device's upload to the box, forwarded through the link. */
async function runRelay(profile, file, limitMs) {
  const { shore, ship, link } = await shoreBehindLink(profile);
  const relay = await startTender({ TENDER_FORWARD_TO: link.url, TENDER_FORWARD_TOKEN: ship.token });
  try {
    const crew = new TusClient(relay.url, { token: await relay.enroll('Deck tablet') });
    const started = Date.now();
    link.play(profile.schedule);
    const url = await crew.create(file.size, { filename: 'video.mp4', sha256: file.sha256 });
    for (let offset = 0; offset < file.size; ) {
      offset = await crew.patch(url, offset, file.bytes.subarray(offset, offset + 8 * MiB));
    }
    crew.close();
    const onBoard = Date.now();
    const ashoreAt = await ashoreBy(shore, file.sha256, started + limitMs);
    const endAt = ashoreAt ?? Date.now();
    const held = await heldBy(shore, ship.deviceId, file.sha256);
    const figures = figuresOf(link, profile, file, onBoard, endAt, ashoreAt !== null, held);
    return {
      completed: ashoreAt !== null,
      onBoardSeconds: round((onBoard - started) / 1000, 2),
      ashoreSeconds: round((endAt - onBoard) / 1000, 1),
      wireToFile: round(link.stats.upBytes / file.size, 3),
      linkShare: figures.linkShare === null ? null : round(figures.linkShare, 3),
      heldShare: round(Math.min(1, held / file.size), 3),
      restores: figures.restores?.length ?? null,
    };
  } finally {
    await relay.stop();
    await link.close();
    await shore.stop();
  }
}

/** The baseline: tus-js-client's Node build, defaults, the same file straight through the link. */
async function runTusDirect(profile, file, limitMs) {
  const { shore, ship, link } = await shoreBehindLink(profile);
  try {
    const started = Date.now();
    link.play(profile.schedule);
    const outcome = await new Promise((resolve) => {
      const upload = new Upload(file.bytes, {
        endpoint: `${link.url}/files/`,
        uploadSize: file.size,
        headers: { Authorization: `Bearer ${ship.token}` },
        metadata: { filename: 'video.mp4', sha256: file.sha256 },
        onSuccess: () => resolve('done'),
        onError: (err) => resolve(`gave up: ${String(err.message ?? err).slice(0, 60)}`),
      });
      upload.start();
      setTimeout(() => {
        void upload.abort();
        resolve('time limit');
      }, limitMs).unref();
    });
    const ashoreAt = await ashoreBy(shore, file.sha256, Date.now() + 2_000);
    const endAt = ashoreAt ?? Date.now();
    const held = await heldBy(shore, ship.deviceId, file.sha256);
    const figures = figuresOf(link, profile, file, started, endAt, ashoreAt !== null, held);
    return {
      completed: ashoreAt !== null,
      outcome,
      ashoreSeconds: round((endAt - started) / 1000, 1),
      wireToFile: round(link.stats.upBytes / file.size, 3),
      linkShare: figures.linkShare === null ? null : round(figures.linkShare, 3),
      heldShare: round(Math.min(1, held / file.size), 3),
    };
  } finally {
    await link.close();
    await shore.stop();
  }
}

const limitMsOf = (run, minLimitMs) => {
  const profile = linkProfiles[run.profile](run.options ?? {});
  const idealMs = (run.sizeBytes / profile.uplinkBytesPerSec) * 1000;
  return Math.max(minLimitMs, Math.round(4 * idealMs + outageMs(profile)));
};

/** The longest the part may take: both clients of every run using all their time, and start-up. */
export function plannedMs({ runs, minLimitMs }) {
  return runs.reduce((sum, run) => sum + 2 * (limitMsOf(run, minLimitMs) + 30_000), 0);
}

/** Every profile in `runs`: the relay, then the baseline, each on its own servers and link. */
export async function measureRelay({ runs, minLimitMs }) {
  const dir = tempDir('relay');
  const results = [];
  try {
    for (const run of runs) {
      const profile = linkProfiles[run.profile](run.options ?? {});
      const file = randomFile(dir, run.sizeBytes);
      const idealSeconds = file.size / profile.uplinkBytesPerSec;
      const limitMs = limitMsOf(run, minLimitMs);
      note(`relay ${run.profile}: ${file.size / MiB} MiB, limit ${Math.round(limitMs / 1000)} s`);
      const relay = await runRelay(profile, file, limitMs);
      const tus = await runTusDirect(profile, file, limitMs);
      results.push({
        profile: run.profile,
        sizeBytes: file.size,
        idealSeconds: round(idealSeconds, 1),
        relay,
        tus,
        ratios:
          relay.completed && tus.completed
            ? {
                ashoreSeconds: round(relay.ashoreSeconds / tus.ashoreSeconds, 3),
                wireToFile: round(relay.wireToFile / tus.wireToFile, 3),
              }
            : null,
      });
      fs.rmSync(file.path, { force: true });
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return { runs: results };
}

/** The relay part's table. */
export function printRelay({ runs: results }) {
  console.log(
    '\nRelay on board → shore over the link (crew device on the LAN; Node tus-js-client straight through as baseline)',
  );
  console.log(
    '  profile              MiB   ideal s   client                 completed   on board s   ashore s   wire/file   link share',
  );
  for (const r of results) {
    const row = (label, c, onBoard) =>
      console.log(
        `  ${r.profile.padEnd(18)} ${String(r.sizeBytes / MiB).padStart(5)}   ${String(r.idealSeconds).padStart(7)}   ${label.padEnd(22)} ${(c.completed ? 'yes' : `no: ${Math.round(c.heldShare * 100)}% held`).padStart(9)}   ${String(onBoard ?? '–').padStart(10)}   ${String(c.ashoreSeconds).padStart(8)}   ${String(c.wireToFile).padStart(9)}   ${c.linkShare === null ? '–' : `${(c.linkShare * 100).toFixed(1)}%`}`,
      );
    row('Tender relay', r.relay, r.relay.onBoardSeconds);
    row('tus-js-client, direct', r.tus, null);
    if (r.ratios)
      console.log(
        `    relay / direct: time to ashore ${r.ratios.ashoreSeconds}×, wire/file ${r.ratios.wireToFile}×`,
      );
  }
  console.log(
    '  ashore s: for the relay, from the crew upload being on board to shore holding the file; for the baseline, from its start.',
  );
}
