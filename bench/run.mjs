// Benchmarks of Tender's server and client against baselines measured in the same run.
// Usage: npm run bench [-- [throughput] [memory] [hashing] [satellite] [device] [link] [queue] [relay] [fleet] [--quick] [--one-device] [--parallel=N]]
// Prints tables on stdout (progress on stderr) and writes bench/results/latest.json.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { printLink } from './lib/linkTables.mjs';
import { killAll } from './lib/servers.mjs';
import { MiB } from './lib/stats.mjs';
import { printRelay } from './relay.mjs';

const PARTS = ['throughput', 'memory', 'hashing', 'satellite', 'device', 'link', 'queue', 'relay', 'fleet'];
// A stuck run must not hang a machine: everything is stopped after this long (the link part adds
// the time its clients may take).
const WATCHDOG_MS = 15 * 60 * 1000;

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const oneDevice = args.includes('--one-device');
// Link runs on rate-limited profiles at once (see bench/link.mjs); 1, one after another, by default.
const parallel = Number(args.find((a) => a.startsWith('--parallel='))?.slice('--parallel='.length) ?? 1);
if (!Number.isInteger(parallel) || parallel < 1) {
  console.error('--parallel=N takes a whole number of runs at once, 1 or more');
  process.exit(2);
}
const unknown = args.filter((a) => !a.startsWith('--') && !PARTS.includes(a));
if (unknown.length) {
  console.error(`Unknown part(s): ${unknown.join(', ')}; choose from ${PARTS.join(', ')}`);
  process.exit(2);
}
const chosen = PARTS.filter((p) => args.includes(p));
// The fleet part needs PostgreSQL, Redis and nginx installed; it runs only when named.
const parts = chosen.length ? chosen : PARTS.filter((p) => p !== 'fleet');

const settings = quick
  ? {
      throughput: { sizeBytes: 64 * MiB, chunkBytes: 8 * MiB, runs: 2, warmupBytes: 16 * MiB },
      memory: { uploads: 10, sizeBytes: 4 * MiB, chunkBytes: MiB, oneDevice },
      hashing: { sizeBytes: 32 * MiB, runs: 2 },
      satellite: {
        sizeBytes: 2 * MiB,
        chunkBytes: 256 * 1024,
        uplinkBitsPerSec: 2_000_000,
        delayMs: 300,
        timeLimitMs: 60_000,
      },
      device: { sizes: [64 * MiB] },
      // Short schedules: a fault every few seconds, outages of 15 s.
      link: {
        minLimitMs: 30_000,
        parallel,
        runs: [
          { profile: 'geo', sizeBytes: 2 * MiB },
          { profile: 'geoResets', sizeBytes: 2 * MiB, options: { everyMs: 6_000 } },
          { profile: 'geoStalls', sizeBytes: 2 * MiB, options: { everyMs: 8_000 } },
          { profile: 'starlink', sizeBytes: 16 * MiB, options: { everyMs: 4_000 } },
          { profile: 'wifiDeadZone', sizeBytes: 2 * MiB, options: { atMs: 3_000, forMs: 15_000 } },
          { profile: 'satDownBehindWifi', sizeBytes: 2 * MiB, options: { atMs: 3_000, forMs: 15_000 } },
          { profile: 'lan', sizeBytes: 64 * MiB, heap: true },
        ],
      },
      queue: { count: 5000, loads: 2, step: 2000, jumps: 20, pick: { files: 20, bytes: 100e6 } },
      relay: {
        minLimitMs: 30_000,
        runs: [
          { profile: 'geo', sizeBytes: 2 * MiB },
          { profile: 'geoResets', sizeBytes: 2 * MiB, options: { everyMs: 6_000 } },
          { profile: 'geoStalls', sizeBytes: 2 * MiB, options: { everyMs: 8_000 } },
          { profile: 'satDownBehindWifi', sizeBytes: 2 * MiB, options: { atMs: 3_000, forMs: 15_000 } },
        ],
      },
      fleet: { sizeBytes: 64 * MiB, chunkBytes: 8 * MiB, runs: 2, concurrent: 4, warmupBytes: 16 * MiB },
    }
  : {
      throughput: { sizeBytes: 512 * MiB, chunkBytes: 8 * MiB, runs: 7, warmupBytes: 128 * MiB },
      memory: { uploads: 50, sizeBytes: 16 * MiB, chunkBytes: MiB, oneDevice },
      hashing: { sizeBytes: 256 * MiB, runs: 3 },
      satellite: {
        sizeBytes: 20 * MiB,
        chunkBytes: 2 * MiB,
        uplinkBitsPerSec: 2_000_000,
        delayMs: 300,
        timeLimitMs: 240_000,
      },
      device: { sizes: [200 * MiB, 2048 * MiB] },
      link: {
        minLimitMs: 120_000,
        parallel,
        runs: [
          { profile: 'geo', sizeBytes: 30 * MiB },
          { profile: 'geoResets', sizeBytes: 30 * MiB },
          { profile: 'geoStalls', sizeBytes: 30 * MiB },
          { profile: 'starlink', sizeBytes: 100 * MiB },
          { profile: 'wifiDeadZone', sizeBytes: 30 * MiB },
          { profile: 'satDownBehindWifi', sizeBytes: 30 * MiB },
          { profile: 'lan', sizeBytes: 2048 * MiB, heap: true },
        ],
      },
      queue: { count: 5000, loads: 5, step: 600, jumps: 100, pick: { files: 100, bytes: 1e9 } },
      relay: {
        minLimitMs: 120_000,
        runs: ['geo', 'geoResets', 'geoStalls', 'satDownBehindWifi'].map((profile) => ({
          profile,
          sizeBytes: 30 * MiB,
        })),
      },
      fleet: { sizeBytes: 512 * MiB, chunkBytes: 8 * MiB, runs: 3, concurrent: 4, warmupBytes: 64 * MiB },
    };

const watchdogMs =
  WATCHDOG_MS +
  (parts.includes('link') ? (await import('./link.mjs')).plannedMs(settings.link) : 0) +
  (parts.includes('relay') ? (await import('./relay.mjs')).plannedMs(settings.relay) : 0);
const watchdog = setTimeout(() => {
  console.error(`Benchmark still running after ${Math.round(watchdogMs / 60000)} min; stopping.`);
  process.exit(1);
}, watchdogMs);
watchdog.unref();
process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(130));

const results = {
  startedAt: new Date().toISOString(),
  quick,
  machine: {
    node: process.version,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    platform: os.platform(),
  },
};
// Other work on the machine skews every absolute number; the ratios are what to compare.
const load = () => Math.round(os.loadavg()[0] * 100) / 100;
const started = performance.now();
for (const part of parts) {
  console.error(`\n▶ ${part}`);
  const t = performance.now();
  const module = await import(`./${part}.mjs`);
  const measure = {
    throughput: module.measureThroughput,
    memory: module.measureMemory,
    hashing: module.measureHashing,
    satellite: module.measureSatellite,
    device: module.measureDevice,
    link: module.measureLink,
    queue: module.measureQueue,
    relay: module.measureRelay,
    fleet: module.measureFleet,
  }[part];
  const loadBefore = load();
  results[part] = await measure(settings[part]);
  results[part].loadAverage = { before: loadBefore, after: load() };
  results[part].elapsedSeconds = Math.round((performance.now() - t) / 100) / 10;
  print(part, results[part]);
}
results.elapsedSeconds = Math.round((performance.now() - started) / 100) / 10;

const out = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results', 'latest.json');
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, `${formatJson(results)}\n`);
const loads = parts.map(
  (part) => `${part} ${results[part].loadAverage.before}→${results[part].loadAverage.after}`,
);
console.log(`\n1-min load average (${results.machine.cpus} CPUs): ${loads.join(', ')}`);
console.log(`Total ${results.elapsedSeconds} s. Results: ${path.relative(process.cwd(), out)}`);

function print(part, r) {
  const x = (ratio) => `${ratio.toFixed(2)}×`;
  const mib = (bytes) => `${(bytes / MiB).toFixed(1)} MiB`;
  const pct = (fraction) => `${(fraction * 100).toFixed(1)}%`;
  if (part === 'fleet') {
    const row = (label, m) => [label, m.medianMiBps, x(m.ratioToEmbedded), m.runsMiBps.join(' / ')];
    for (const shape of ['one', 'concurrent']) {
      const what =
        shape === 'one'
          ? `one ${r.sizeBytes / MiB} MiB upload`
          : `${r.uploadsAtOnce} concurrent uploads of ${r.sizeBytes / r.uploadsAtOnce / MiB} MiB`;
      table(
        `Fleet: ${what} in ${r.chunkBytes / MiB} MiB PATCHes over loopback (median of ${r.runs} alternating runs after a warm-up)`,
        ['server', 'median MiB/s', '/ embedded', 'runs MiB/s'],
        [
          row('1 instance, embedded (files, SQLite, memory)', r[shape].embedded),
          row('1 instance, PostgreSQL + Redis + S3', r[shape].fleetOne),
          row('2 instances behind nginx, same backends', r[shape].fleetTwo),
        ],
      );
    }
  } else if (part === 'throughput') {
    const row = (label, m) => [
      label,
      m.medianMiBps,
      m.bestMiBps,
      x(m.ratioMedianToBaseline),
      m.runsMiBps.join(' / '),
    ];
    table(
      `1. Server throughput: one ${r.sizeBytes / MiB} MiB upload in ${r.chunkBytes / MiB} MiB PATCHes over loopback (median of ${r.runs} alternating runs after a warm-up; sha256 verified)`,
      ['server', 'median MiB/s', 'best MiB/s', '/ baseline', 'runs MiB/s'],
      [
        row('baseline: @tus/server + file-store', r.baseline),
        row('  (baseline + fdatasync per PATCH)', r.baselineFsync),
        row('  (Tender without Upload-Checksum)', r.tenderNoChunkChecksum),
        row('Tender: auth, checksums, fsync', r.tender),
        row('  (Tender with Upload-Block-Checksums)', r.tenderBlockChecksums),
      ],
    );
    console.log(`  Tender / baseline: ${x(r.ratioMedian)} (median), ${x(r.ratioBest)} (best against best)`);
    console.log(`  Tender with block checksums / baseline: ${x(r.ratioMedianBlockChecksums)} (median)`);
  } else if (part === 'memory') {
    const row = (label, m) => [
      label,
      mib(m.idleRss),
      mib(m.peakRss),
      mib(m.afterRss),
      x(m.ratioPeakToIdle),
      `${m.aggregateMiBps}`,
    ];
    table(
      `2. Server RSS: ${r.uploads} concurrent uploads of ${r.sizeBytes / MiB} MiB in ${r.chunkBytes / MiB} MiB PATCHes, ${r.devices === 1 ? 'one device (limits raised)' : `${r.devices} devices (default limits)`}`,
      ['server', 'idle', 'peak', 'after 2 s', 'peak/idle', 'MiB/s total'],
      [
        row('baseline: @tus/server + file-store', r.baseline),
        row('Tender', r.tender),
        [
          'Tender / baseline',
          x(r.tender.idleRss / r.baseline.idleRss),
          x(r.ratioPeakTenderToBaseline),
          x(r.tender.afterRss / r.baseline.afterRss),
          '',
          '',
        ],
      ],
    );
    console.log(`  growth under load (peak − idle), Tender / baseline: ${x(r.ratioGrowthTenderToBaseline)}`);
  } else if (part === 'hashing') {
    table(
      `3. Device hashing: SHA-256 of a ${r.sizeBytes / MiB} MiB Blob (median of ${r.runs})`,
      ['hasher', 'MB/s', 'hashWasm / this'],
      [
        ['baseline: node:crypto on the Buffer', r.nodeCryptoBuffer.medianMBps, x(r.ratioHashWasmToNode)],
        [
          'node:crypto over 4 MiB Blob slices',
          r.nodeCryptoBlobSlices.medianMBps,
          x(r.ratioHashWasmToNodeOverBlob),
        ],
        ['hashBlob (hash-wasm, 4 MiB slices)', r.hashWasmBlob.medianMBps, x(1)],
      ],
    );
  } else if (part === 'satellite') {
    const row = (label, m) => [
      label,
      `${m.seconds}`,
      mib(m.wireUpBytes),
      m.wireToFile.toFixed(3),
      pct(m.linkUtilisation),
      pct(m.goodput),
      `${m.requests}`,
    ];
    table(
      `4. Satellite link: ${r.sizeBytes / MiB} MiB to Tender over ${r.uplinkBitsPerSec / 1e6} Mbit/s up, +${r.delayMsEachWay} ms each way, cut once at ${pct(r.dropAtFraction)} (ideal ${r.idealSeconds} s)`,
      ['client', 'seconds', 'wire up', 'wire/file', 'link busy', 'goodput', 'requests'],
      [
        row('baseline: one whole-file PATCH', r.wholeFilePatch),
        row(`tus ${r.chunkBytes / MiB} MiB chunks + Upload-Checksum`, r.tusChunks),
        row(`tus ${r.chunkBytes / MiB} MiB chunks + block checksums`, r.tusBlocks),
        ['chunks / whole file', x(r.ratioSecondsChunksToWhole), x(r.ratioWireChunksToWhole), '', '', '', ''],
        ['blocks / whole file', x(r.ratioSecondsBlocksToWhole), x(r.ratioWireBlocksToWhole), '', '', '', ''],
      ],
    );
  } else if (part === 'device') {
    table(
      `5. Device: one file added in the app (persistent Chromium profile, real worker, IndexedDB on disk sampled every 250 ms) and uploaded over loopback in ${r.chunkBytes / MiB} MiB PATCHes`,
      [
        'file',
        'add s',
        'upload s',
        'app MiB/s',
        'baseline MiB/s',
        'app / baseline',
        'IDB peak / file',
        'IDB after / file',
        'freed by',
      ],
      r.runs.map((m) => [
        mib(m.sizeBytes),
        `${m.addSeconds}`,
        `${m.uploadSeconds}`,
        `${m.uploadMiBps}`,
        `${m.baselineMiBps}`,
        x(m.ratioToBaseline),
        m.peakToFile.toFixed(3),
        m.finalToFile.toFixed(4),
        m.freedBy,
      ]),
    );
    console.log(
      '  baseline: a Node tus client sending the same file in the same chunks with the same checksums',
    );
  } else if (part === 'relay') {
    printRelay(r);
  } else if (part === 'link') {
    printLink(r, table);
  } else if (part === 'queue') {
    const ms = (value) => (value === null ? 'none over 50' : `${value}`);
    table(
      `7. Queue view: ${r.items} items in IndexedDB, page reloaded ${r.runs.length} times at ${r.viewport} (targets: first render under 200 ms, no task over 50 ms while scrolling)`,
      ['load', 'queue read ms', 'render ms', 'first row ms', 'rows in DOM', 'longest task ms'],
      r.runs.map((m, i) => [
        `${i + 1}`,
        `${m.readMs}`,
        `${m.renderMs}`,
        `${m.firstRowPaintedMs}`,
        `${m.rows}`,
        ms(m.longestLoadTaskMs),
      ]),
    );
    console.log('  render: from the queue read to the first row painted; first row: from navigation start');
    const s = r.scroll;
    console.log(
      `  scroll to the end at ${s.pxPerFrame} px a frame, then ${s.jumps} jumps: ${s.frames} frames in ${s.seconds} s, ` +
        `${s.longTasks} long tasks (${s.longTasksWhileJumping} while jumping; longest ${ms(s.longestTaskMs)} ms), frame gaps median ${s.frameGapMedianMs} / p95 ${s.frameGapP95Ms} / max ${s.frameGapMaxMs} ms, ${s.rows} rows in DOM`,
    );
    const p = r.picked;
    console.log(
      `  picking ${p.files} files (${p.bytes / 1e9} GB) with Add files: all shown in the queue ${p.shownMs} ms after the page got them (target under 2 s); Playwright's hand-over took ${p.setInputMs} ms`,
    );
    const c = r.control;
    console.log(
      `  control, a static page as tall, same scroll: ${c.frames} frames in ${c.seconds} s, ${c.longTasks} long tasks, ` +
        `frame gaps median ${c.frameGapMedianMs} / p95 ${c.frameGapP95Ms} / max ${c.frameGapMaxMs} ms`,
    );
  }
}

function table(title, header, rows) {
  const cells = [header, ...rows].map((row) => row.map(String));
  const widths = header.map((_, i) => Math.max(...cells.map((row) => row[i].length)));
  const line = (row) =>
    `  ${row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('   ')}`;
  console.log(`\n${title}`);
  console.log(line(cells[0]));
  console.log(`  ${widths.map((w) => '─'.repeat(w)).join('   ')}`);
  for (const row of cells.slice(1)) console.log(line(row));
}

// JSON laid out as the repository's formatter (biome) lays it out, so `biome check .` stays clean
// after a run: arrays of plain values on one line when they fit.
function formatJson(value) {
  return JSON.stringify(value, null, 2).replace(
    /^( *)(.*)\[\n((?:\s*[^\s[\]{}][^\n]*\n)+?)\s*\]/gm,
    (whole, indent, head, items) => {
      const line = `${indent}${head}[${items
        .trim()
        .split(/,\n\s*/)
        .join(', ')}]`;
      return line.length <= 110 ? line : whole;
    },
  );
}
