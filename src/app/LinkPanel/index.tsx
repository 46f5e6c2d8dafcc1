import { formatRate, type LinkSnapshot } from '../../shared/linkEstimator.ts';

const STATE_WORDS: Record<LinkSnapshot['state'], string> = {
  up: 'Shore answers',
  down: 'Shore does not answer',
  unknown: 'Not checked yet',
};

/** What the worker knows about the link to shore, in plain words. */
export function LinkPanel({ link }: { link: LinkSnapshot | null }) {
  if (!link) return null;
  const quality = Math.round(link.quality * 100);
  return (
    <section class="link-panel" aria-label="Link to shore">
      <p class="link-advice" role="status">
        {link.recommendation.reason}
      </p>
      <dl>
        <div>
          <dt>Link</dt>
          <dd data-link-state={link.state}>{STATE_WORDS[link.state]}</dd>
        </div>
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
        {link.saveData && (
          <div>
            <dt>Data saver</dt>
            <dd>on</dd>
          </div>
        )}
      </dl>
    </section>
  );
}
