/**
 * One value from a Prometheus text page: the first sample of `name` (with or without labels).
 * Throws when it is missing or unreadable: a renamed metric must fail a test, never read as 0.
 */
export function metricValue(page: string, name: string): number {
  const line = page.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  const value = Number(line?.split(' ').pop());
  if (!line || Number.isNaN(value)) throw new Error(`no metric ${name} in /metrics`);
  return value;
}
