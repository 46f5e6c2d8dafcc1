const METHODS = new Set(['GET', 'HEAD', 'POST', 'PATCH', 'DELETE', 'OPTIONS']);

/** In-process counters, rendered in the Prometheus text exposition format. */
export class Metrics {
  /** Body bytes of PATCH/POST requests to /files, counted as they arrive, aborted requests included. */
  bytesReceived = 0;
  uploadsCompleted = 0;
  private readonly requests = new Map<string, number>();

  /** Counts one finished request; `status` is the HTTP status, or 'aborted' if the client vanished. */
  countRequest(method: string | undefined, status: string): void {
    // Unknown methods share one label so a scanner cannot grow the series without bound.
    const m = method && METHODS.has(method) ? method : 'OTHER';
    const key = `method="${m}",status="${status}"`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
  }

  /** The /metrics response body. */
  render(): string {
    const lines = [
      '# HELP tender_bytes_received_total Upload body bytes received on /files (PATCH and POST), aborted requests included.',
      '# TYPE tender_bytes_received_total counter',
      `tender_bytes_received_total ${this.bytesReceived}`,
      '# HELP tender_uploads_completed_total Uploads completed and recorded.',
      '# TYPE tender_uploads_completed_total counter',
      `tender_uploads_completed_total ${this.uploadsCompleted}`,
      '# HELP tender_http_requests_total HTTP requests by method and status (status "aborted": no response was sent).',
      '# TYPE tender_http_requests_total counter',
    ];
    for (const [labels, count] of this.requests) lines.push(`tender_http_requests_total{${labels}} ${count}`);
    return `${lines.join('\n')}\n`;
  }
}
