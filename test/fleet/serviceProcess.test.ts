// How the fleet's test services behave around the edges: a missing package, a service that dies
// while starting, and several instances side by side (test files run in parallel).
import { Redis } from 'ioredis';
import { describe, expect, test } from 'vitest';
import { startRedis } from '../support/fleet/redis.ts';
import {
  acceptsConnections,
  freePort,
  requireBinary,
  ServiceProcess,
} from '../support/fleet/serviceProcess.ts';

describe('fleet service processes', () => {
  test('a missing binary names the Debian package that brings it', () => {
    expect(() => requireBinary('memcached', ['/nonexistent/memcached'], 'memcached')).toThrow(
      /memcached not found \(looked for \/nonexistent\/memcached\): install Debian's memcached \(apt-get install -y --no-install-recommends memcached/,
    );
  });

  test('a service that exits while starting fails the wait at once, with what it printed', async () => {
    const binary = requireBinary('redis-server', ['/usr/bin/redis-server'], 'redis-server');
    const service = new ServiceProcess({
      name: 'redis-server',
      command: binary,
      args: ['--port', 'not-a-port'],
    });
    const unused = await freePort();
    const started = Date.now();
    const waited = service.waitUntil('PONG', () => acceptsConnections(unused), 20_000);
    await expect(waited).rejects.toThrow(/redis-server exited \(1\) before PONG:[\s\S]*port/i);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  test('two instances run side by side on their own ports, with their own data, and stop', async () => {
    const [one, two] = await Promise.all([startRedis(), startRedis()]);
    const clients = [new Redis(one.url), new Redis(two.url)] as const;
    try {
      expect(one.port).not.toBe(two.port);
      await clients[0].set('lock:upload:1', 'instance-a');
      expect(await clients[0].get('lock:upload:1')).toBe('instance-a');
      expect(await clients[1].get('lock:upload:1')).toBeNull();
    } finally {
      for (const client of clients) client.disconnect();
      await Promise.all([one.stop(), two.stop()]);
    }
    expect(await acceptsConnections(one.port)).toBe(false);
    expect(await acceptsConnections(two.port)).toBe(false);
  });
});
