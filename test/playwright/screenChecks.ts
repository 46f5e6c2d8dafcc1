import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { expect, type Page } from '@playwright/test';

// A screen as the crew meet it, at a phone's and a tablet's size: no accessibility violations
// axe-core can find (WCAG 2.1 A and AA), 44 px touch targets, no row text cut off, and a
// screenshot kept under test-results/screens/ to look at.

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const SIZES = [
  { width: 360, height: 740 },
  { width: 1024, height: 768 },
];
const SHOTS = path.resolve('test-results/screens');

type Violation = { id: string; impact: string; help: string; nodes: { target: string[] }[] };

/** Runs axe-core on the page as it is now; returns its violations, each with where it is. */
async function axeViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async () => {
    const axe = (
      window as unknown as { axe: { run(ctx: Document, opts: object): Promise<{ violations: Violation[] }> } }
    ).axe;
    const result = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    });
    return result.violations;
  });
  return violations.map(
    (v: Violation) =>
      `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
  );
}

/** Controls on the screen smaller than 44 px each way (wet hands, gloves), by their text. */
function smallTargets(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const controls = document.querySelectorAll<HTMLElement>(
      'button, summary, select, label.button, input:not([type="checkbox"]):not([type="file"])',
    );
    return [...controls]
      .filter((el) => el.getClientRects().length > 0)
      .filter((el) => {
        const box = el.getBoundingClientRect();
        return box.height < 44 || box.width < 44;
      })
      .map((el) => {
        const box = el.getBoundingClientRect();
        const name = el.getAttribute('aria-label') ?? el.textContent?.trim() ?? el.id;
        return `${el.tagName.toLowerCase()} "${name}" ${Math.round(box.width)}×${Math.round(box.height)}`;
      });
  });
}

/** Queue rows whose content, or whose why-it-waits text, is cut off (more to show than room). */
function cutRows(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>('.queue-item')].flatMap((row) => {
      const main = row.querySelector<HTMLElement>('.row-main');
      const bytes = row.querySelector<HTMLElement>('.bytes');
      const cut = [];
      if (main && main.scrollHeight > main.clientHeight + 1)
        cut.push(`${row.ariaLabel}: row holds ${main.scrollHeight} px in ${main.clientHeight}`);
      // The status line clamps on a wide screen, the why-it-waits text on its own on a narrow one.
      for (const why of row.querySelectorAll<HTMLElement>('.queue-item-foot, .detail'))
        if (why.scrollHeight > why.clientHeight + 1) cut.push(`${row.ariaLabel}: "${why.textContent}"`);
      if (bytes && bytes.scrollWidth > bytes.clientWidth + 1)
        cut.push(`${row.ariaLabel}: "${bytes.textContent}"`);
      return cut;
    }),
  );
}

/** At each size: no violations, nothing cut off, touch targets of 44 px, and a screenshot named after the screen. */
export async function checkScreen(page: Page, name: string) {
  fs.mkdirSync(SHOTS, { recursive: true });
  for (const size of SIZES) {
    await page.setViewportSize(size);
    const at = `${name} at ${size.width}×${size.height}`;
    expect(await axeViolations(page), at).toEqual([]);
    expect(await smallTargets(page), at).toEqual([]);
    expect(await cutRows(page), at).toEqual([]);
    await page.screenshot({
      path: path.join(SHOTS, `${name}-${size.width}x${size.height}.png`),
      fullPage: true,
    });
  }
}
