// How the queue view copes with a long queue: 5,000 records written into the app's IndexedDB (as
// its store adds files), the page reloaded a few times, and the list scrolled from top to bottom.
// Measured in the page: when the queue was read (the app's 'tender:queue-read' mark), when the first
// row was painted, and every long task (over 50 ms) while loading and while scrolling.
import { randomFillSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from './lib/chromium.mjs';
import { startTender, tempDir } from './lib/servers.mjs';
import { median, note, round } from './lib/stats.mjs';
import { requestJson } from './lib/tus.mjs';

const { seedQueue, writeSeed } = await import('../build/bench/test/support/queueSeed.js');

/** Runs in the page before its scripts: records long tasks and when the first row is painted. */
function watchPage() {
  const bench = { longTasks: [], firstRowDom: null, firstRowPainted: null };
  window.__queueBench = bench;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) bench.longTasks.push({ start: e.startTime, duration: e.duration });
  }).observe({ type: 'longtask', buffered: true });
  new MutationObserver((_, observer) => {
    if (!document.querySelector('.queue-item')) return;
    observer.disconnect();
    bench.firstRowDom = performance.now();
    // The frame that shows it: the next animation frame, then the task after it (after paint).
    requestAnimationFrame(() => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => (bench.firstRowPainted = performance.now());
      channel.port2.postMessage(null);
    });
  }).observe(document, { childList: true, subtree: true });
}

/** One reload of the page with the long queue; times in ms from navigation start. */
async function loadOnce(page) {
  await page.reload();
  await page.waitForFunction(() => window.__queueBench?.firstRowPainted !== null, null, { timeout: 30_000 });
  // Let the load finish (a long task that ends after the first paint still counts).
  await page.evaluate(() => new Promise((resolve) => requestIdleCallback(resolve, { timeout: 2000 })));
  return page.evaluate(() => {
    const bench = window.__queueBench;
    const read = performance.getEntriesByName('tender:queue-read')[0];
    if (!read) throw new Error('the app did not mark when it read the queue');
    return {
      readMs: read.startTime,
      firstRowDomMs: bench.firstRowDom,
      firstRowPaintedMs: bench.firstRowPainted,
      renderMs: bench.firstRowPainted - read.startTime,
      rows: document.querySelectorAll('.queue-item').length,
      longestLoadTaskMs: bench.longTasks.length ? Math.max(...bench.longTasks.map((t) => t.duration)) : null,
    };
  });
}

/**
 * Scrolls the page from top to bottom `step` px a frame, then jumps to `jumps` places at random;
 * returns the long tasks that started meanwhile and the gaps between frames. With `count`, checks
 * that the queue's last row was shown at the bottom.
 */
function scrollThrough(page, count, step, jumps) {
  return page.evaluate(
    async ({ count, step, jumps }) => {
      const longTasks = [];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) longTasks.push({ start: e.startTime, duration: e.duration });
      }).observe({ type: 'longtask' });
      const frame = () => new Promise((resolve) => requestAnimationFrame(resolve));
      window.scrollTo(0, 0);
      await frame();
      const started = performance.now();
      const gaps = [];
      let last = performance.now();
      const tick = async () => {
        await frame();
        const now = performance.now();
        gaps.push(now - last);
        last = now;
      };
      const bottom = () => document.documentElement.scrollHeight - window.innerHeight;
      while (window.scrollY < bottom() - 1) {
        window.scrollBy(0, step);
        await tick();
      }
      await tick();
      const lastShown =
        count === null || document.querySelector(`.queue-item[aria-posinset="${count}"]`) !== null;
      const jumping = performance.now();
      for (let i = 0; i < jumps; i++) {
        window.scrollTo(0, Math.random() * bottom());
        await tick();
        await tick();
      }
      const tasks = longTasks.filter((t) => t.start >= started);
      gaps.sort((a, b) => a - b);
      return {
        frames: gaps.length,
        seconds: (performance.now() - started) / 1000,
        lastShown,
        longTasks: tasks.length,
        longTasksWhileJumping: tasks.filter((t) => t.start >= jumping).length,
        longestTaskMs: tasks.length ? Math.max(...tasks.map((t) => t.duration)) : null,
        frameGapMedianMs: gaps[Math.floor(gaps.length / 2)],
        frameGapP95Ms: gaps[Math.floor(gaps.length * 0.95)],
        frameGapMaxMs: gaps[gaps.length - 1],
        rows: document.querySelectorAll('.queue-item').length,
      };
    },
    { count, step, jumps },
  );
}

const roundScroll = (s) => ({
  ...s,
  seconds: round(s.seconds, 1),
  longestTaskMs: s.longestTaskMs === null ? null : round(s.longestTaskMs, 1),
  frameGapMedianMs: round(s.frameGapMedianMs, 1),
  frameGapP95Ms: round(s.frameGapP95Ms, 1),
  frameGapMaxMs: round(s.frameGapMaxMs, 1),
});

/**
 * The same scroll on a static page as tall as the list, in the same browser: what the machine
 * alone does to frame gaps (a busy machine stretches them; the page itself adds no work).
 */
async function controlScroll(browser, height, step, jumps) {
  const page = await browser.newPage({ viewport: { width: 412, height: 915 } });
  try {
    await page.setContent(
      `<div style="height:${height}px;background:linear-gradient(#0b3954,#f4f7f9)"></div>`,
    );
    return roundScroll(await scrollThrough(page, null, step, jumps));
  } finally {
    await page.close();
  }
}

/** A new page of the app in `context` as a freshly enrolled device, once its worker controls it. */
async function openEnrolled(context, server, name) {
  const page = await context.newPage();
  const device = await requestJson(new URL('/api/devices', server.url), {
    method: 'POST',
    token: server.adminToken,
    body: { name },
    expect: 201,
  });
  await page.goto(device.enrollUrl);
  await page.getByRole('heading', { name: 'Upload queue' }).waitFor();
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 20_000 });
  return page;
}

/** `count` files of random bytes, `total` bytes in all, in a fresh folder; their paths. */
function writePicks(count, total) {
  const dir = tempDir('picks');
  const size = Math.floor(total / count);
  const block = Buffer.alloc(size);
  const paths = [];
  for (let i = 0; i < count; i++) {
    const file = path.join(dir, `photo-${String(i + 1).padStart(3, '0')}.jpg`);
    fs.writeFileSync(file, randomFillSync(block));
    paths.push(file);
  }
  return { dir, paths };
}

/**
 * Picking `count` files (`total` bytes) with Add files until every one shows in the queue, against
 * the browser handing them to the page (its change event), both timed in the page.
 */
async function measurePick(browser, server, count, total) {
  const picks = writePicks(count, total);
  const context = await browser.newContext({ viewport: { width: 412, height: 915 } });
  try {
    const page = await openEnrolled(context, server, 'bench phone');
    // Offline: the measure is the queue, not the upload.
    await context.setOffline(true);
    const shown = page.evaluate(
      (count) =>
        new Promise((resolve) => {
          let picked = null;
          document.addEventListener('change', () => (picked ??= performance.now()), true);
          const all = () =>
            Array.from(document.querySelectorAll('button')).some(
              (b) => b.textContent?.replace(/\s/g, '') === `All${count}`,
            );
          const check = () => {
            if (picked !== null && all()) resolve({ pickedAt: picked, shownMs: performance.now() - picked });
            else requestAnimationFrame(check);
          };
          check();
        }),
      count,
    );
    const handed = Date.now();
    await page.getByLabel('Add files').setInputFiles(picks.paths);
    const result = await shown;
    return { files: count, bytes: total, shownMs: round(result.shownMs, 1), setInputMs: Date.now() - handed };
  } finally {
    await context.close();
    fs.rmSync(picks.dir, { recursive: true, force: true });
  }
}

/** The queue view with `count` items: first render over `loads` reloads, then a scroll through it. */
export async function measureQueue({ count, loads, step, jumps, pick }) {
  const server = await startTender();
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  try {
    note(`queue: picking ${pick.files} files, ${pick.bytes / 1e9} GB in all`);
    const picked = await measurePick(browser, server, pick.files, pick.bytes);
    const context = await browser.newContext({ viewport: { width: 412, height: 915 } });
    const page = await openEnrolled(context, server, 'bench tablet');
    note(`queue: writing ${count} items into IndexedDB`);
    await writeSeed(page, seedQueue(count, Date.now()));
    // Offline, so that the worker changes nothing while the page is measured.
    await context.setOffline(true);
    await page.addInitScript(watchPage);
    const runs = [];
    for (let i = 0; i < loads; i++) {
      note(`queue: load ${i + 1} of ${loads}`);
      runs.push(await loadOnce(page));
    }
    note(`queue: scrolling ${step} px a frame to the end, then ${jumps} jumps`);
    const scroll = await scrollThrough(page, count, step, jumps);
    if (!scroll.lastShown) throw new Error('scrolling to the end did not show the last row');
    const height = await page.evaluate(() => document.documentElement.scrollHeight);
    note('queue: the same scroll on a static page as tall (control)');
    const control = await controlScroll(browser, height, step, jumps);
    const longest = runs.map((r) => r.longestLoadTaskMs).filter((ms) => ms !== null);
    return {
      items: count,
      viewport: '412×915',
      runs: runs.map((r) => ({
        readMs: round(r.readMs, 1),
        renderMs: round(r.renderMs, 1),
        firstRowPaintedMs: round(r.firstRowPaintedMs, 1),
        rows: r.rows,
        longestLoadTaskMs: r.longestLoadTaskMs === null ? null : round(r.longestLoadTaskMs, 1),
      })),
      renderMedianMs: round(median(runs.map((r) => r.renderMs)), 1),
      renderMaxMs: round(Math.max(...runs.map((r) => r.renderMs)), 1),
      firstRowMedianMs: round(median(runs.map((r) => r.firstRowPaintedMs)), 1),
      longestLoadTaskMs: longest.length ? round(Math.max(...longest), 1) : null,
      scroll: { ...roundScroll(scroll), pxPerFrame: step, jumps },
      control,
      picked,
    };
  } finally {
    await browser.close().catch(() => {});
    await server.stop();
  }
}
