const METHODS = new Set(['GET', 'HEAD', 'POST', 'PATCH', 'DELETE', 'OPTIONS']);

type Counter = { name: string; help: string; value: () => number };

/** In-process counters, rendered in the Prometheus text exposition format. */
export class Metrics {
  /** Body bytes of PATCH/POST requests to /files, counted as they arrive, aborted requests included. */
  bytesReceived = 0;
  uploadsStarted = 0;
  uploadsCompleted = 0;
  uploadsDeduplicated = 0;
  /** Unfinished uploads given up, by reason. */
  readonly uploadsFailed = { checksum: 0, expired: 0, dropped: 0 };
  /** Chunks (Upload-Checksum) and whole files (sha256 metadata) refused because a digest did not match. */
  checksumFailures = 0;
  authFailures = 0;
  /** Authentication attempts refused unchecked because their address failed too often. */
  authThrottled = 0;
  rateLimited = 0;
  /** PATCHes that arrived while another PATCH on the same upload was still open. */
  concurrentPatches = 0;
  /** Older PATCHes cut off because a newer request for their upload arrived. */
  stalePatchesClosed = 0;
  private readonly requests = new Map<string, number>();
  private readonly gauges: Counter[] = [];
  private readonly instance: () => string;

  /** `instance()` is added as a label to every sample, so the pages of a fleet's servers can be told apart. */
  constructor(instance: () => string = () => '') {
    this.instance = instance;
  }

  /** Adds a gauge read at each scrape (e.g. free disk space). */
  addGauge(name: string, help: string, value: () => number): void {
    this.gauges.push({ name, help, value });
  }

  /** Counts one finished request; `status` is the HTTP status, or 'aborted' if the client vanished. */
  countRequest(method: string | undefined, status: string): void {
    // Unknown methods share one label so a scanner cannot grow the series without bound.
    const m = method && METHODS.has(method) ? method : 'OTHER';
    const key = `method="${m}",status="${status}"`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
  }

  /** The /metrics response body. */
  render(): string {
    const lines: string[] = [];
    const counter = (name: string, help: string, value: number, type = 'counter') => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name} ${value}`);
    };
    counter(
      'tender_bytes_received_total',
      'Upload body bytes received on /files (PATCH and POST), aborted requests included.',
      this.bytesReceived,
    );
    counter('tender_uploads_started_total', 'Uploads created.', this.uploadsStarted);
    counter('tender_uploads_completed_total', 'Uploads completed and recorded.', this.uploadsCompleted);
    counter(
      'tender_uploads_deduplicated_total',
      'Uploads recorded without sending bytes because the content was already stored.',
      this.uploadsDeduplicated,
    );
    lines.push(
      '# HELP tender_uploads_failed_total Unfinished uploads discarded, by reason.',
      '# TYPE tender_uploads_failed_total counter',
    );
    for (const [reason, n] of Object.entries(this.uploadsFailed)) {
      lines.push(`tender_uploads_failed_total{reason="${reason}"} ${n}`);
    }
    counter(
      'tender_checksum_failures_total',
      'Chunks (Upload-Checksum) and files (sha256 metadata) refused because the digest did not match.',
      this.checksumFailures,
    );
    counter(
      'tender_auth_failures_total',
      'Requests refused for a missing, unknown or revoked token.',
      this.authFailures,
    );
    counter(
      'tender_auth_throttled_total',
      'Requests refused (429) without checking their token because their address failed too often.',
      this.authThrottled,
    );
    counter('tender_rate_limited_total', 'Requests answered 429 by the per-device limits.', this.rateLimited);
    counter(
      'tender_concurrent_patch_total',
      'PATCHes that arrived while another PATCH on the same upload was still open.',
      this.concurrentPatches,
    );
    counter(
      'tender_stale_patches_closed_total',
      'Open PATCHes cut off because a newer request for the same upload arrived.',
      this.stalePatchesClosed,
    );
    for (const gauge of this.gauges) counter(gauge.name, gauge.help, gauge.value(), 'gauge');
    lines.push(
      '# HELP tender_http_requests_total HTTP requests by method and status (status "aborted": no response was sent).',
      '# TYPE tender_http_requests_total counter',
    );
    for (const [labels, count] of this.requests) lines.push(`tender_http_requests_total{${labels}} ${count}`);
    const name = this.instance();
    const instance = name && `instance="${name.replace(/["\\\n]/g, '_')}"`;
    const labelled = instance
      ? lines.map((line) => (line.startsWith('#') ? line : withLabel(line, instance)))
      : lines;
    return `${labelled.join('\n')}\n`;
  }
}

/** `name{a="1"} 2` with `label` added after the others: `name{a="1",label} 2`. */
function withLabel(sample: string, label: string): string {
  const space = sample.lastIndexOf(' ');
  const series = sample.slice(0, space);
  const value = sample.slice(space);
  return series.endsWith('}') ? `${series.slice(0, -1)},${label}}${value}` : `${series}{${label}}${value}`;
}
