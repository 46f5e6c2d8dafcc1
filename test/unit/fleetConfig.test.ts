import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config.ts';

const TOKEN = { TENDER_ADMIN_TOKEN: 'fleet-admin-token-0123456789' };
const PG = { TENDER_DATABASE_URL: 'postgres://tender@db:5432/tender', ...TOKEN };
const REDIS = { TENDER_REDIS_URL: 'redis://redis:6379/0' };
const S3 = {
  TENDER_S3_BUCKET: 'tender',
  TENDER_S3_ENDPOINT: 'http://swift:8080',
  TENDER_S3_ACCESS_KEY_ID: 'key',
  TENDER_S3_SECRET_ACCESS_KEY: 'secret',
};

describe('fleet backend switches', () => {
  it('keeps the embedded backends when none is set', () => {
    const config = loadConfig({});
    expect([config.database, config.redis, config.s3]).toEqual([null, null, null]);
  });

  it('reads each backend', () => {
    const config = loadConfig({ ...PG, ...REDIS, ...S3, TENDER_DATABASE_SCHEMA: 'ship_a' });
    expect(config.database).toEqual({ url: PG.TENDER_DATABASE_URL, schema: 'ship_a' });
    expect(config.redis).toEqual({ url: REDIS.TENDER_REDIS_URL, prefix: 'tender:' });
    expect(config.s3).toEqual({
      bucket: 'tender',
      endpoint: 'http://swift:8080',
      region: 'us-east-1',
      credentials: { accessKeyId: 'key', secretAccessKey: 'secret' },
      forcePathStyle: true,
      prefix: '',
      capacityBytes: undefined,
    });
    expect(loadConfig({ ...PG, ...REDIS, TENDER_S3_BUCKET: 'b' }).s3?.forcePathStyle).toBe(false);
    expect(loadConfig({ ...PG, ...REDIS, ...S3, TENDER_S3_FORCE_PATH_STYLE: '0' }).s3?.forcePathStyle).toBe(
      false,
    );
  });

  // Each row: the environment, and the message the operator must see (what to set).
  const refused: Array<[string, Record<string, string>, RegExp]> = [
    ['PostgreSQL without Redis', PG, /set TENDER_REDIS_URL/],
    ['S3 without Redis', { ...PG, ...S3 }, /TENDER_S3_BUCKET .*set TENDER_REDIS_URL/],
    ['S3 without PostgreSQL', { ...REDIS, ...S3 }, /TENDER_S3_BUCKET needs TENDER_DATABASE_URL/],
    [
      'PostgreSQL without an admin token',
      { ...REDIS, TENDER_DATABASE_URL: PG.TENDER_DATABASE_URL },
      /TENDER_ADMIN_TOKEN/,
    ],
    [
      'a database URL that is not PostgreSQL',
      { ...PG, ...REDIS, TENDER_DATABASE_URL: 'mysql://x/y' },
      /TENDER_DATABASE_URL/,
    ],
    ['a schema without a database', { ...REDIS, TENDER_DATABASE_SCHEMA: 'a' }, /needs TENDER_DATABASE_URL/],
    [
      'a schema that is not an identifier',
      { ...PG, ...REDIS, TENDER_DATABASE_SCHEMA: 'a-b' },
      /TENDER_DATABASE_SCHEMA/,
    ],
    ['a Redis URL that is not Redis', { ...PG, TENDER_REDIS_URL: 'http://redis' }, /TENDER_REDIS_URL/],
    [
      'S3 settings without a bucket',
      { ...PG, ...REDIS, TENDER_S3_ENDPOINT: 'http://s3' },
      /needs TENDER_S3_BUCKET/,
    ],
    [
      'half the S3 credentials',
      { ...PG, ...REDIS, TENDER_S3_BUCKET: 'b', TENDER_S3_ACCESS_KEY_ID: 'k' },
      /both/,
    ],
    ['an S3 endpoint with a path', { ...PG, ...REDIS, ...S3, TENDER_S3_ENDPOINT: 'http://s3/x' }, /ENDPOINT/],
    [
      'relay mode on S3',
      { ...PG, ...REDIS, ...S3, TENDER_FORWARD_TO: 'https://shore', TENDER_FORWARD_TOKEN: 't' },
      /TENDER_S3_BUCKET/,
    ],
  ];
  it.each(refused)('refuses %s', (_, env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('lets an operator run shared storage on one instance without Redis, when they say so', () => {
    const config = loadConfig({ ...PG, ...S3, TENDER_SINGLE_INSTANCE: '1' });
    expect(config.redis).toBeNull();
    expect(config.s3?.bucket).toBe('tender');
  });
});
