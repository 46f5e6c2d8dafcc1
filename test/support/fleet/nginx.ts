import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { freePort, makeServiceDir, removeDir, requireBinary, ServiceProcess } from './serviceProcess.ts';

/** A running nginx balancing over the given upstreams. */
export interface NginxService {
  /** `http://127.0.0.1:PORT` */
  url: string;
  port: number;
  /** The generated nginx.conf, for error messages and reading. */
  config: string;
  /** Milliseconds from spawn until its readiness path answered. */
  startupMs: number;
  pid: number;
  stop(): Promise<void>;
}

export interface NginxOptions {
  /** Upstream servers, `host:port` or `http://host:port`; requests go to each in turn. */
  upstreams: readonly string[];
  /** Read, send and client body timeouts in seconds (default 3600: a satellite upload may stall long). */
  timeoutSeconds?: number;
}

/** Answered by nginx itself (204), never proxied; used to know it is up. */
export const nginxReadyPath = '/__nginx/ready';

/** The server block's settings for streaming long uploads through to several Tender instances. */
export function nginxConfig(dir: string, port: number, options: NginxOptions): string {
  const timeout = `${options.timeoutSeconds ?? 3600}s`;
  const servers = options.upstreams
    .map((upstream) => `    server ${upstream.replace(/^https?:\/\//, '').replace(/\/$/, '')};`)
    .join('\n');
  return `daemon off;
master_process on;
worker_processes 1;
pid ${join(dir, 'nginx.pid')};
error_log stderr warn;

events { worker_connections 1024; }

http {
  access_log off;
  client_body_temp_path ${join(dir, 'client_body')};
  proxy_temp_path ${join(dir, 'proxy')};
  fastcgi_temp_path ${join(dir, 'fastcgi')};
  uwsgi_temp_path ${join(dir, 'uwsgi')};
  scgi_temp_path ${join(dir, 'scgi')};

  upstream tender {
${servers}
    keepalive 32;
  }

  server {
    listen 127.0.0.1:${port};
    # No cap on bodies (Tender enforces its own), and patience with slow or stalled links.
    client_max_body_size 0;
    client_body_timeout ${timeout};
    send_timeout ${timeout};
    keepalive_timeout 75s;

    location = ${nginxReadyPath} { return 204; }

    location / {
      proxy_pass http://tender;
      # Keep-alive connections to the instances need HTTP/1.1 and no "Connection: close".
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Host $http_host;
      proxy_set_header X-Real-IP $remote_addr;
      # Stream both ways: an upload's bytes reach the instance as they arrive, so it can
      # acknowledge them, and answers (progress, HEAD) are not held back.
      proxy_request_buffering off;
      proxy_buffering off;
      proxy_connect_timeout 5s;
      proxy_send_timeout ${timeout};
      proxy_read_timeout ${timeout};
    }
  }
}
`;
}

function answersReady(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: nginxReadyPath, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode === 204);
    });
    req.once('error', () => resolve(false));
    req.end();
  });
}

/**
 * Starts Debian's nginx in its own directory on a free loopback port, proxying to `upstreams` in
 * turn with request and response buffering off, and waits until it answers.
 */
export async function startNginx(options: NginxOptions): Promise<NginxService> {
  if (options.upstreams.length === 0) throw new Error('startNginx needs at least one upstream');
  const binary = requireBinary('nginx', ['/usr/sbin/nginx'], 'nginx');
  const dir = makeServiceDir('nginx');
  const port = await freePort();
  const config = nginxConfig(dir, port, options);
  const configPath = join(dir, 'nginx.conf');
  writeFileSync(configPath, config);
  const started = Date.now();
  // -e: nginx opens its compiled-in error log before reading the config unless told otherwise.
  const service = new ServiceProcess({
    name: 'nginx',
    command: binary,
    args: ['-e', 'stderr', '-p', dir, '-c', configPath],
    cwd: dir,
  });
  const stop = async () => {
    await service.stop();
    removeDir(dir);
  };
  try {
    await service.waitUntil(`${nginxReadyPath} to answer 204`, () => answersReady(port));
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    config,
    startupMs: Date.now() - started,
    pid: service.child.pid ?? 0,
    stop,
  };
}
