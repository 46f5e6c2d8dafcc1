import type { Check, Probe } from './backends.ts';
import type { Relay } from './relay.ts';

/** The /healthz body: `ok` is false (and the status 503) when a dependency is down. */
export type Health = {
  ok: boolean;
  instance: string;
  /** Each dependency by name (database, redis, s3, storage), with a short reason when it failed. */
  checks: Record<string, Check>;
  /** In relay mode: whether forwarding to shore works (informative; shore being away is normal at sea). */
  relay?: { state: string; reason: string | null };
};

/** Asks every dependency at once; a load balancer takes an instance with one down out. */
export async function checkHealth(instance: string, probes: Probe[], relay: Relay | null): Promise<Health> {
  const [results, forwarding] = await Promise.all([
    Promise.all(probes.map((p) => p.check())),
    relay?.status(),
  ]);
  const checks = Object.fromEntries(probes.map((p, i) => [p.name, results[i] as Check]));
  return {
    ok: results.every((r) => r.ok),
    instance,
    checks,
    ...(forwarding && { relay: { state: forwarding.state, reason: forwarding.reason } }),
  };
}
