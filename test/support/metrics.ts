/**
 * One value from a Prometheus text page: the first sample of `name` (with or without labels; the
 * server's `instance` label is left out of the comparison, so `name{reason="x"}` matches
 * `name{reason="x",instance="host:8080"}`).
 * Throws when it is missing or unreadable: a renamed metric must fail a test, never read as 0.
 */
export function metricValue(page: string, name: string): number {
  const lines = page.split('\n').map(withoutInstance);
  const line = lines.find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  const value = Number(line?.split(' ').pop());
  if (!line || Number.isNaN(value)) throw new Error(`no metric ${name} in /metrics`);
  return value;
}

/** The sample line without its `instance` label. */
export function withoutInstance(line: string): string {
  return line.replace(/,instance="[^"]*"\}/, '}').replace(/\{instance="[^"]*"\}/, '');
}
