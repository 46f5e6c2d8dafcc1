// The link part's tables (bench/link.mjs), printed by bench/run.mjs.
import { MiB } from './stats.mjs';

const CLIENT_LABELS = {
  tender: 'Tender (app worker)',
  workbox: 'Workbox Queue, whole file',
  tus: 'tus-js-client, defaults',
};

/** Prints the link part's tables with `table(title, header, rows)`. */
export function printLink(r, table) {
  const pct = (fraction) => `${(fraction * 100).toFixed(1)}%`;
  const secs = (ms) => (ms === null || ms === undefined ? '–' : (ms / 1000).toFixed(1));
  const x = (ratio) => (ratio === null || ratio === undefined ? '–' : `${ratio.toFixed(2)}×`);
  const mib = (bytes) => (bytes === null ? '–' : `${(bytes / MiB).toFixed(1)} MiB`);
  if (r.parallel > 1) {
    console.log(
      `\n(${r.parallel} client runs at once on rate-limited links, each on its own server and link; lan alone)`,
    );
  }
  r.profiles.forEach((p, i) => {
    const link = p.uplinkBytesPerSec
      ? `${((p.uplinkBytesPerSec * 8) / 1e6).toFixed(0)} Mbit/s up, ${2 * p.delayMs} ms RTT`
      : 'no limit';
    const offline = p.offlineWhileDown ? ', offline while down' : '';
    const title = `6.${i + 1} Link ${p.profile} (${link}${offline}): ${p.sizeBytes / MiB} MiB, ideal ${p.idealSeconds ?? '–'} s, limit ${p.timeLimitSeconds} s per client`;
    if (p.skipped) {
      console.log(`\n${title}\n  skipped: ${p.skipped}`);
      return;
    }
    const rows = Object.values(p.clients).map((c) => {
      const label = CLIENT_LABELS[c.client] ?? c.client;
      if (c.error) return [label, `error: ${c.error.slice(0, 50)}`, '', '', '', '', '', ''];
      const back = c.restores.length
        ? `${secs(c.medianRestoreToRequestMs)} / ${secs(c.medianRestoreToByteMs)} (${c.restores.length})`
        : '–';
      return [
        label,
        c.completed ? 'yes' : `no: ${((100 * c.achievedBytes) / p.sizeBytes).toFixed(0)}% held`,
        c.wallSeconds.toFixed(1),
        c.wireToFile.toFixed(3),
        c.linkShare === null ? '–' : pct(c.linkShare),
        secs(c.longestIdleMs),
        back,
        `${(100 * c.probeAndProgressToPayload).toFixed(2)}%`,
      ];
    });
    table(
      title,
      [
        'client',
        'completed',
        'wall s',
        'wire/file',
        'link share',
        'idle max s',
        'back→req / byte s (n)',
        'probe+progress',
      ],
      rows,
    );
    const ratios = (name, q) =>
      q
        ? `  Tender / ${name}: wall ${x(q.wallSeconds)}, wire/file ${x(q.wireToFile)}, link share ${x(q.linkShare)}`
        : `  Tender / ${name}: – (not both completed)`;
    console.log(ratios('Workbox Queue', p.ratios?.tenderToWorkbox));
    console.log(ratios('tus-js-client', p.ratios?.tenderToTus));
    if (p.throughput) {
      const rate = (c) => {
        const t = p.throughput[c];
        return t ? `${t.fromAddMiBps} MiB/s (${t.fromFirstByteMiBps} from its first byte)` : '–';
      };
      console.log(
        `  throughput: Tender ${rate('tender')}, tus-js-client one PATCH ${rate('tus')}; Tender / tus ${x(p.throughput.ratioTenderToTus)}`,
      );
    }
    const heap = p.clients.tender?.heap;
    if (heap) {
      console.log(
        `  Tender worker JS heap: idle ${mib(heap.idleUsedBytes)}, peak uploading ${mib(heap.peakUsedBytes)} (+${mib(heap.peakAboveIdleBytes)}; target < +64 MiB), after ${mib(heap.afterUsedBytes)}; outside the heap (ArrayBuffers) peak ${mib(heap.peakBackingStorageBytes)}`,
      );
    }
  });
  console.log(
    '\n  wire/file: uplink bytes ÷ file size. link share: file bytes held ÷ what the uplink could carry',
  );
  console.log(
    '  while up, first to last upload byte. idle max: longest time with no request in flight while the',
  );
  console.log(
    "  link was up. back→req / byte: median from the link's return to the next upload request / body",
  );
  console.log(
    '  byte at the server. probe+progress: bytes both ways of /probe and /api/progress requests ÷ file size.',
  );
}
