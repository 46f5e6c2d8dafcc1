import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import {
  acceptsConnections,
  freePorts,
  makeServiceDir,
  removeDir,
  requireBinary,
  ServiceProcess,
} from './serviceProcess.ts';

/** A running single-node Swift answering the S3 API on loopback, with one bucket made. */
export interface SwiftS3Service {
  /** `http://127.0.0.1:PORT` of the proxy (path-style S3). */
  endpoint: string;
  port: number;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /**
   * Settings for an AWS SDK v3 S3 client that Swift's s3api understands: path-style addressing, and
   * checksums only when an operation requires them (Swift 2.30 rejects `aws-chunked` bodies). Swift
   * also has no object tagging (give @tus/s3-store `useTags: false`) and takes at most 1000 parts.
   */
  clientConfig: S3ClientConfig & { endpoint: string; region: string; forcePathStyle: true };
  /** Milliseconds from spawn until a signed CreateBucket succeeded. */
  startupMs: number;
  /** memcached's and Swift's. */
  pids: number[];
  stop(): Promise<void>;
}

export interface SwiftS3Options {
  /** Bucket created at start (default `tender`). */
  bucket?: string;
}

type SwiftServer = 'account' | 'container' | 'object' | 'proxy';

// Swift's own launchers start one Python process per server, each spending ~1.7 s of CPU loading
// Swift before it listens. This runs the four servers in one process instead (one load, a third
// of the memory), with what swift.common.wsgi.run_server sets up for each: its protocol class, no
// header capitalisation (the AWS SDK needs "ETag"), a green pool per server. It first writes one
// single-replica ring per server kind and reads swift.conf from the service's own directory.
const launcher = `
import os, sys, time
os.environ['TZ'] = 'UTC+0'
time.tzset()
swift_dir, ports, confs = sys.argv[1], sys.argv[2:5], sys.argv[5:]
from swift.common import utils, storage_policy
utils.set_swift_dir(swift_dir)
storage_policy.reload_storage_policies()
from swift.common.ring import RingBuilder
for kind, port in zip(('account', 'container', 'object'), ports):
    builder = RingBuilder(6, 1, 1)
    builder.add_dev({'id': 0, 'region': 1, 'zone': 1, 'ip': '127.0.0.1', 'port': int(port),
                     'device': 'd1', 'weight': 100})
    builder.rebalance()
    builder.get_ring().save(os.path.join(swift_dir, kind + '.ring.gz'))
import eventlet, eventlet.wsgi
from swift.common import wsgi
utils.eventlet_monkey_patch()
eventlet.hubs.use_hub(wsgi.get_hub())
servers = []
for conf_path in confs:
    section = os.path.basename(conf_path)[:-len('.conf')]
    conf, logger, log_name = wsgi._initrp(conf_path, section, verbose=True)
    app = wsgi.loadapp(conf_path, global_conf={'log_name': log_name})
    servers.append(eventlet.spawn(
        eventlet.wsgi.server, wsgi.get_socket(conf), app, wsgi.NullLogger(),
        custom_pool=wsgi.RestrictedGreenPool(size=1024), protocol=wsgi.SwiftHttpProtocol,
        socket_timeout=60, capitalize_response_headers=False))
for server in servers:
    server.wait()
`;

function serverConf(dir: string, port: number, app: string, extra = ''): string {
  return `[DEFAULT]
bind_ip = 127.0.0.1
bind_port = ${port}
workers = 0
swift_dir = ${dir}
devices = ${join(dir, 'devices')}
mount_check = false
disable_fallocate = true
log_level = WARNING

[pipeline:main]
pipeline = ${app}

[app:${app}]
use = egg:swift#${app.replace('-server', '')}
${extra}`;
}

// s3api sits before tempauth, which checks each request's S3 signature against the user's key. The
// cache is this instance's own memcached: never a shared one on 11211, where another Swift's cached
// account and container info would be taken for this one's. Without any memcached Swift still works
// (tempauth only needs the cache object) but asks the account and container servers on every request.
function proxyConf(dir: string, port: number, memcachedPort: number): string {
  return `[DEFAULT]
bind_ip = 127.0.0.1
bind_port = ${port}
workers = 0
swift_dir = ${dir}
log_level = ERROR

[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats s3api tempauth copy slo dlo proxy-logging proxy-server

[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true

[filter:s3api]
use = egg:swift#s3api

[filter:tempauth]
use = egg:swift#tempauth
user_test_tester = testing .admin

[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:${memcachedPort}

[filter:catch_errors]
use = egg:swift#catch_errors
[filter:gatekeeper]
use = egg:swift#gatekeeper
[filter:healthcheck]
use = egg:swift#healthcheck
[filter:proxy-logging]
use = egg:swift#proxy_logging
[filter:listing_formats]
use = egg:swift#listing_formats
[filter:copy]
use = egg:swift#copy
[filter:slo]
use = egg:swift#slo
[filter:dlo]
use = egg:swift#dlo
`;
}

/**
 * Starts OpenStack Swift (Debian's python3-swift, 2.30) as one node with one replica in its own
 * directory: account, container and object servers and a proxy with the s3api middleware, in one
 * process, each on a free loopback port. Waits until a signed S3 CreateBucket of `bucket` succeeds.
 */
export async function startSwiftS3(options: SwiftS3Options = {}): Promise<SwiftS3Service> {
  const python = requireBinary('python3', ['/usr/bin/python3'], 'python3');
  requireBinary(
    "Swift's Python package",
    ['/usr/lib/python3/dist-packages/swift/common/middleware/s3api/s3api.py'],
    'python3-swift',
  );
  const memcached = requireBinary('memcached', ['/usr/bin/memcached'], 'memcached');
  // memcached refuses to run as root unless told which user to be.
  const runAs = process.getuid?.() === 0 ? ['-u', 'nobody'] : [];
  const dir = makeServiceDir('swift');
  mkdirSync(join(dir, 'devices', 'd1'), { recursive: true });
  const [proxyPort = 0, accountPort = 0, containerPort = 0, objectPort = 0, memcachedPort = 0] =
    await freePorts(5);
  const ports: Record<SwiftServer, number> = {
    account: accountPort,
    container: containerPort,
    object: objectPort,
    proxy: proxyPort,
  };
  const bucket = options.bucket ?? 'tender';
  const started = Date.now();
  writeFileSync(
    join(dir, 'swift.conf'),
    '[swift-hash]\nswift_hash_path_suffix = tender-tests\n\n[storage-policy:0]\nname = Policy-0\ndefault = yes\n',
  );
  const confs: Record<SwiftServer, string> = {
    account: serverConf(dir, accountPort, 'account-server'),
    container: serverConf(dir, containerPort, 'container-server'),
    object: serverConf(dir, objectPort, 'object-server'),
    proxy: proxyConf(dir, proxyPort, memcachedPort),
  };
  const confPaths = (Object.keys(confs) as SwiftServer[]).map((kind) => {
    const path = join(dir, `${kind}-server.conf`);
    writeFileSync(path, confs[kind]);
    return path;
  });
  const processes = [
    new ServiceProcess({
      name: 'memcached',
      command: memcached,
      args: [...['-l', '127.0.0.1', '-p', String(memcachedPort), '-U', '0', '-m', '16'], ...runAs],
    }),
    new ServiceProcess({
      name: 'swift (account, container, object and proxy servers)',
      command: python,
      args: [
        '-c',
        launcher,
        dir,
        String(accountPort),
        String(containerPort),
        String(objectPort),
        ...confPaths,
      ],
    }),
  ] as const;
  const [cache, service] = processes;
  const stop = async () => {
    await Promise.all(processes.map((child) => child.stop()));
    removeDir(dir);
  };
  const endpoint = `http://127.0.0.1:${proxyPort}`;
  const clientConfig = {
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true as const,
    credentials: { accessKeyId: 'test:tester', secretAccessKey: 'testing' },
    requestChecksumCalculation: 'WHEN_REQUIRED' as const,
    responseChecksumValidation: 'WHEN_REQUIRED' as const,
  };
  const probe = new S3Client({ ...clientConfig, maxAttempts: 1 });
  try {
    // Python takes seconds to load Swift; wait for every port cheaply, then prove the lot with a
    // bucket made through all of them (a signed request costs the test process real CPU).
    // Swift stops asking a memcached that refused it for a minute: have it up before any request.
    await cache.waitUntil('memcached to listen', () => acceptsConnections(memcachedPort));
    for (const port of Object.values(ports)) {
      await service.waitUntil(`port ${port} to listen`, () => acceptsConnections(port), 60_000, 50);
    }
    await service.waitUntil('a signed CreateBucket', async () => {
      try {
        await probe.send(new CreateBucketCommand({ Bucket: bucket }));
      } catch (error) {
        if ((error as Error).name !== 'BucketAlreadyOwnedByYou') throw error;
      }
      return true;
    });
  } catch (error) {
    await stop();
    throw error;
  } finally {
    probe.destroy();
  }
  return {
    endpoint,
    port: proxyPort,
    bucket,
    accessKeyId: clientConfig.credentials.accessKeyId,
    secretAccessKey: clientConfig.credentials.secretAccessKey,
    clientConfig,
    startupMs: Date.now() - started,
    pids: processes.map((child) => child.child.pid ?? 0),
    stop,
  };
}
