import { formatRate, type LinkSnapshot } from '../../shared/linkEstimator.ts';
import { formatBytes } from '../format.ts';
import { type ChartBar, chartBars, chartSummary } from './chart.ts';

const HOURS = 6;

/** Bars of rate (blue, tallest = best) over stretches where shore was down (red band at the foot). */
function LinkChart({ bars }: { bars: ChartBar[] }) {
  const best = Math.max(1, ...bars.map((b) => b.rateBps ?? 0));
  const width = 4;
  return (
    <svg
      class="link-chart"
      viewBox={`0 0 ${bars.length * width} 44`}
      preserveAspectRatio="none"
      aria-hidden="true"
    >
      {bars.map((bar, i) => {
        const h = bar.rateBps === null ? 0 : Math.max(2, (bar.rateBps / best) * 36);
        return (
          <g key={bar.at}>
            {h > 0 && <rect class="rate" x={i * width} y={38 - h} width={width - 1} height={h} />}
            {bar.downShare !== null && bar.downShare > 0 && (
              <rect
                class="down"
                x={i * width}
                y={40}
                width={width - 1}
                height={4}
                opacity={0.3 + 0.7 * bar.downShare}
              />
            )}
            {bar.downShare === null && (
              <rect class="unknown" x={i * width} y={41} width={width - 1} height={1} />
            )}
          </g>
        );
      })}
    </svg>
  );
}

/** Data counted today and this month against the budgets set in Settings. */
export interface DataUse {
  todayBytes: number;
  monthBytes: number;
  dailyBudgetBytes: number | null;
  monthlyBudgetBytes: number | null;
}

const ofBudget = (used: number, budget: number | null) =>
  budget === null ? formatBytes(used) : `${formatBytes(used)} of ${formatBytes(budget)}`;

const STATE_WORDS: Record<LinkSnapshot['state'], string> = {
  up: 'Shore answers',
  down: 'Shore does not answer',
  unknown: 'Not checked yet',
};

/**
 * What the worker knows about the link to shore, in plain words: its advice and state on one line,
 * the figures and the chart of the last hours behind a tap (a phone's first screen is for files).
 */
export function LinkPanel({ link, use }: { link: LinkSnapshot | null; use: DataUse | null }) {
  if (!link) return null;
  const quality = Math.round(link.quality * 100);
  const bars = chartBars(link.history, Date.now(), HOURS);
  return (
    <section class="link-panel" aria-label="Link to shore">
      <p class="link-advice" role="status">
        {link.recommendation.reason}
      </p>
      <details>
        <summary>
          Link: <span data-link-state={link.state}>{STATE_WORDS[link.state]}</span> · quality {quality}%
        </summary>
        <dl>
          <div>
            <dt>Quality</dt>
            <dd>
              <meter
                min={0}
                max={100}
                low={40}
                high={75}
                optimum={100}
                value={quality}
                aria-label="Link quality"
              />{' '}
              {quality}%
            </dd>
          </div>
          <div>
            <dt>Speed</dt>
            <dd>{link.goodputBps === null ? 'not measured yet' : formatRate(link.goodputBps)}</dd>
          </div>
          <div>
            <dt>Round trip</dt>
            <dd>{link.rttMs === null ? 'not measured yet' : `${Math.round(link.rttMs)} ms`}</dd>
          </div>
          <div>
            <dt>Data saver</dt>
            <dd>{link.saveData ? 'on: large files wait' : 'off'}</dd>
          </div>
          {use && (
            <div>
              <dt>Data used</dt>
              <dd>
                today {ofBudget(use.todayBytes, use.dailyBudgetBytes)}; this month{' '}
                {ofBudget(use.monthBytes, use.monthlyBudgetBytes)}
              </dd>
            </div>
          )}
        </dl>
        <figure class="link-history">
          <LinkChart bars={bars} />
          <figcaption>{chartSummary(bars, HOURS, formatRate)}</figcaption>
        </figure>
      </details>
    </section>
  );
}
