import { connect } from 'node:net';
import { freePort, makeServiceDir, removeDir, requireBinary, ServiceProcess } from './serviceProcess.ts';

/** A running Redis on loopback. */
export interface RedisService {
  host: string;
  port: number;
  /** `redis://127.0.0.1:PORT` */
  url: string;
  /** Milliseconds from spawn until it answered PING. */
  startupMs: number;
  pid: number;
  stop(): Promise<void>;
}

/** Sends one inline command and resolves with the first line of the answer. */
function ask(port: number, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.setTimeout(1000, () => socket.destroy(new Error('no answer')));
    socket.once('connect', () => socket.write(`${command}\r\n`));
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1');
      if (answer.includes('\r\n')) {
        socket.end();
        resolve(answer.slice(0, answer.indexOf('\r\n')));
      }
    });
    socket.once('error', reject);
  });
}

/**
 * Starts Debian's redis-server on a free loopback port with nothing persisted (no RDB, no AOF),
 * in its own directory, and waits until it answers PING.
 */
export async function startRedis(): Promise<RedisService> {
  const binary = requireBinary('redis-server', ['/usr/bin/redis-server'], 'redis-server');
  const dir = makeServiceDir('redis');
  const port = await freePort();
  const started = Date.now();
  const service = new ServiceProcess({
    name: 'redis-server',
    command: binary,
    args: [
      ...['--port', String(port), '--bind', '127.0.0.1', '--dir', dir],
      ...['--save', '', '--appendonly', 'no', '--daemonize', 'no', '--loglevel', 'warning'],
    ],
    cwd: dir,
  });
  try {
    await service.waitUntil('PONG', async () => (await ask(port, 'PING')) === '+PONG');
  } catch (error) {
    await service.stop();
    removeDir(dir);
    throw error;
  }
  return {
    host: '127.0.0.1',
    port,
    url: `redis://127.0.0.1:${port}`,
    startupMs: Date.now() - started,
    pid: service.child.pid ?? 0,
    stop: async () => {
      await service.stop();
      removeDir(dir);
    },
  };
}
