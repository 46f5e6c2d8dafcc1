import { mkdirSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import {
  acceptsConnections,
  freePorts,
  makeServiceDir,
  removeDir,
  requireBinary,
  runToCompletion,
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
  /** Milliseconds from the first spawn until a signed CreateBucket succeeded. */
  startupMs: number;
  pids: number[];
  stop(): Promise<void>;
}

export interface SwiftS3Options {
  /** Bucket created at start (default `tender`). */
  bucket?: string;
}

const swiftPackages = {
  proxy: 'swift-proxy',
  account: 'swift-account',
  container: 'swift-container',
  object: 'swift-object',
} as const;
type SwiftServer = keyof typeof swiftPackages;

// One device, one replica, 2^6 partitions: one ring per server kind, all on loopback.
const ringScript = `
import sys
from swift.common.ring import RingBuilder
swift_dir = sys.argv[1]
for kind, port in zip(('account', 'container', 'object'), sys.argv[2:]):
    builder = RingBuilder(6, 1, 1)
    builder.add_dev({'id': 0, 'region': 1, 'zone': 1, 'ip': '127.0.0.1', 'port': int(port),
                     'device': 'd1', 'weight': 100})
    builder.rebalance()
    builder.get_ring().save('%s/%s.ring.gz' % (swift_dir, kind))
`;

function serverConf(dir: string, port: number, app: string, extra = ''): string {
  return `[DEFAULT]
bind_ip = 127.0.0.1
bind_port = ${port}
workers = 0
user = ${userInfo().username}
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

// s3api sits before tempauth, which checks each request's S3 signature against the user's key.
// tempauth insists on a cache in the pipeline but S3 signatures need nothing cached, so the cache
// points at a port nothing listens on and no memcached is run: Swift logs the misses and goes on.
function proxyConf(dir: string, port: number, noCachePort: number): string {
  return `[DEFAULT]
bind_ip = 127.0.0.1
bind_port = ${port}
workers = 0
user = ${userInfo().username}
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
memcache_servers = 127.0.0.1:${noCachePort}

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
 * Starts OpenStack Swift (Debian's 2.30 packages) as one node with one replica in its own directory:
 * account, container and object servers and a proxy with the s3api middleware, each a single process
 * on a free loopback port. Waits until a signed S3 CreateBucket of `bucket` succeeds.
 */
export async function startSwiftS3(options: SwiftS3Options = {}): Promise<SwiftS3Service> {
  const binaries = Object.fromEntries(
    Object.entries(swiftPackages).map(([server, pkg]) => [
      server,
      requireBinary(`swift-${server}-server`, [`/usr/bin/swift-${server}-server`], pkg),
    ]),
  ) as Record<SwiftServer, string>;
  const python = requireBinary('python3', ['/usr/bin/python3'], 'python3');
  const dir = makeServiceDir('swift');
  mkdirSync(join(dir, 'devices', 'd1'), { recursive: true });
  const [proxyPort = 0, accountPort = 0, containerPort = 0, objectPort = 0, noCachePort = 0] =
    await freePorts(5);
  const ports: Record<SwiftServer, number> = {
    account: accountPort,
    container: containerPort,
    object: objectPort,
    proxy: proxyPort,
  };
  const bucket = options.bucket ?? 'tender';
  const started = Date.now();
  await runToCompletion({
    name: 'swift ring builder',
    command: python,
    args: ['-c', ringScript, dir, String(accountPort), String(containerPort), String(objectPort)],
  });
  const confs: Record<SwiftServer, string> = {
    account: serverConf(dir, accountPort, 'account-server'),
    container: serverConf(dir, containerPort, 'container-server'),
    object: serverConf(dir, objectPort, 'object-server'),
    proxy: proxyConf(dir, proxyPort, noCachePort),
  };
  const kinds = Object.keys(confs) as SwiftServer[];
  const servers = new Map(
    kinds.map((kind) => {
      const conf = join(dir, `${kind}-server.conf`);
      writeFileSync(conf, confs[kind]);
      const name = `swift-${kind}-server`;
      return [kind, new ServiceProcess({ name, command: binaries[kind], args: [conf, '-v'] })] as const;
    }),
  );
  const all = [...servers.values()];
  const stop = async () => {
    await Promise.all(all.map((server) => server.stop()));
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
    for (const [kind, server] of servers) {
      await server.waitUntil('a listening port', () => acceptsConnections(ports[kind]), 60_000, 50);
    }
    const proxy = servers.get('proxy') as ServiceProcess;
    await proxy.waitUntil('a signed CreateBucket', async () => {
      const early = all.find((server) => server.hasExited);
      if (early) throw new Error(`${early.child.spawnfile} exited:\n${early.output}`);
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
    pids: all.map((server) => server.child.pid ?? 0),
    stop,
  };
}
