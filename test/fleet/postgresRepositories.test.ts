// The repositories on a real PostgreSQL: the shared contract (as SQLite), then what only a fleet
// can get wrong: instances migrating, creating, finishing and redeeming at once, and the operator's
// changes reaching every instance.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WATCH_APPLICATION } from '../../server/pg/changes.ts';
import { openPostgres, type PostgresRepositories } from '../../server/pg/index.ts';
import { CHANGES_CHANNEL, SCHEMA_VERSION } from '../../server/pg/schema.ts';
import { record, repositoryContract } from '../server/repositoryContract.ts';
import { type PostgresService, startPostgres } from '../support/fleet/postgres.ts';

let postgres: PostgresService;
let admin: pg.Pool;
beforeAll(async () => {
  postgres = await startPostgres();
  admin = new pg.Pool({ connectionString: postgres.connectionString, max: 2 });
  // PostgreSQL's shutdown at the end ends this pool's connections too; that is no test failure.
  admin.on('error', () => {});
  admin.on('connect', (client) => client.on('error', () => {}));
}, 60_000);
afterAll(async () => {
  await admin?.end();
  await postgres?.stop();
});

// A fresh schema per test: each starts on an empty database.
let schemas = 0;
const freshSchema = () => `t${++schemas}`;
const open = (schema: string, maxConnections = 10) =>
  openPostgres({ connectionString: postgres.connectionString, schema, maxConnections });

repositoryContract('PostgreSQL', () => open(freshSchema()));

/** Polls `condition` every 10 ms until true; fails after `timeoutMs`. */
async function until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('PostgreSQL shared by several instances', () => {
  const opened: PostgresRepositories[] = [];
  const instances = async (schema: string, count: number, maxConnections = 10) => {
    const list = await Promise.all(Array.from({ length: count }, () => open(schema, maxConnections)));
    opened.push(...list);
    return list;
  };
  afterAll(() => Promise.all(opened.map((r) => r.close())));

  it('migrates once when instances start together, and refuses a schema newer than it knows', async () => {
    const schema = freshSchema();
    const [a] = await instances(schema, 4);
    const { rows } = await admin.query(`SELECT version FROM ${schema}.tender_schema`);
    expect(rows).toEqual([{ version: SCHEMA_VERSION }]);
    await a?.devices.enroll('Deck tablet');
    await admin.query(`UPDATE ${schema}.tender_schema SET version = version + 1`);
    await expect(open(schema)).rejects.toThrow(/newer than this server knows/);
  });

  it('commits durably even where the server defaults to asynchronous commits', async () => {
    const [a] = await instances(freshSchema(), 1);
    expect((await admin.query('SHOW synchronous_commit')).rows).toEqual([{ synchronous_commit: 'off' }]);
    expect((await a?.pool.query('SHOW synchronous_commit'))?.rows).toEqual([{ synchronous_commit: 'on' }]);
  });

  it('never lets two instances both take a device’s last slot', async () => {
    const [a, b] = await instances(freshSchema(), 2);
    if (!a || !b) throw new Error('two instances expected');
    const atMost = (max: number) => (reserved: { count: number }) =>
      reserved.count < max ? undefined : 'full';
    const rounds = 25;
    for (let round = 0; round < rounds; round++) {
      const deviceId = `device-${round}`;
      const create = (on: PostgresRepositories, i: number) =>
        on.partials.create(
          { id: `${deviceId}-${i}`, deviceId, size: 10, metadata: {}, createdAt: new Date().toISOString() },
          atMost(2),
        );
      await create(a, 0);
      const results = await Promise.all([1, 2, 3, 4, 5, 6].map((i) => create(i % 2 ? a : b, i)));
      expect(
        results.filter((r) => r === undefined),
        `round ${round}`,
      ).toHaveLength(1);
      expect(await b.partials.reservedBy(deviceId)).toEqual({ count: 2, bytes: 20 });
    }
  });

  it('records an upload finished on two instances at once once, and forgets its unfinished row', async () => {
    const [a, b] = await instances(freshSchema(), 2);
    if (!a || !b) throw new Error('two instances expected');
    for (let i = 0; i < 10; i++) {
      const id = `u${i}`;
      await a.partials.create(
        { id, deviceId: 'deck', size: 1000, metadata: {}, createdAt: new Date().toISOString() },
        () => undefined,
      );
      const added = await Promise.all([
        a.records.addCompleted(record(id, 1)),
        b.records.addCompleted(record(id, 1)),
      ]);
      expect(added.filter(Boolean)).toHaveLength(1);
      expect(await b.partials.get(id)).toBeUndefined();
      expect((await b.records.list({ q: id })).map((r) => r.id)).toEqual([id]);
    }
  });

  it('gives an enrolment code redeemed on two instances at once to one of them', async () => {
    const [a, b] = await instances(freshSchema(), 2);
    if (!a || !b) throw new Error('two instances expected');
    for (let i = 0; i < 10; i++) {
      const code = await a.codes.issue('deck', 'token-of-deck', 60_000);
      const results = await Promise.all([a.codes.redeem(code), b.codes.redeem(code)]);
      expect(results.filter((r) => r.ok)).toEqual([{ ok: true, deviceId: 'deck', token: 'token-of-deck' }]);
      expect(results.filter((r) => !r.ok)).toEqual([{ ok: false, reason: 'used' }]);
    }
  });

  it('announces revocations and drop requests once committed, and nothing else', async () => {
    const [schema, otherSchema] = [freshSchema(), freshSchema()];
    const [cli, neighbour] = [...(await instances(schema, 1, 2)), ...(await instances(otherSchema, 1, 2))];
    if (!cli || !neighbour) throw new Error('two instances expected');
    const listener = new pg.Client({ connectionString: postgres.connectionString });
    await listener.connect();
    const heard: string[] = [];
    listener.on('notification', (n) => heard.push(n.payload ?? ''));
    await listener.query(`LISTEN ${CHANGES_CHANNEL}`);
    // This connection's own NOTIFY arrives after everything committed before it.
    const heardSoFar = async () => {
      await listener.query(`NOTIFY ${CHANGES_CHANNEL}, 'mark'`);
      await until('the mark comes back', () => heard.at(-1) === 'mark');
      return heard.splice(0).slice(0, -1);
    };
    try {
      const deck = await cli.devices.enroll('Deck tablet');
      await cli.partials.create(
        { id: 'u1', deviceId: deck.deviceId, size: 10, metadata: {}, createdAt: new Date().toISOString() },
        () => undefined,
      );
      await cli.partials.ack('u1', 5);
      await cli.partials.markComplete('u1', {
        at: new Date().toISOString(),
        sha256: 'f'.repeat(64),
        target: 'x',
      });
      await cli.partials.create(
        { id: 'u2', deviceId: deck.deviceId, size: 10, metadata: {}, createdAt: new Date().toISOString() },
        () => undefined,
      );
      expect(await heardSoFar()).toEqual([]);
      expect(await cli.partials.requestDrop(deck.deviceId)).toBe(1);
      expect(await heardSoFar()).toEqual([schema]);
      // Asking again or revoking again changes nothing, so nothing is announced.
      await cli.partials.requestDrop(deck.deviceId);
      await cli.devices.revoke(deck.deviceId);
      await cli.devices.revoke(deck.deviceId);
      await neighbour.devices.revoke((await neighbour.devices.enroll('Next door')).deviceId);
      expect(await heardSoFar()).toEqual([schema, otherSchema]);
    } finally {
      await listener.end();
    }
  });

  it('tells every instance’s watch of revocations and drop requests made elsewhere, not another schema’s', async () => {
    const schema = freshSchema();
    const [a, b, cli, neighbour] = [
      ...(await instances(schema, 3, 2)),
      ...(await instances(freshSchema(), 1, 2)),
    ];
    if (!a || !b || !cli || !neighbour) throw new Error('four instances expected');
    const seen = { a: 0, b: 0 };
    const watches = [a.watch(() => seen.a++), b.watch(() => seen.b++)];
    await Promise.all(watches.map((w) => w.listening));
    try {
      const deck = await cli.devices.enroll('Deck tablet');
      await cli.partials.create(
        { id: 'u1', deviceId: deck.deviceId, size: 10, metadata: {}, createdAt: new Date().toISOString() },
        () => undefined,
      );
      await neighbour.devices.revoke((await neighbour.devices.enroll('Next door')).deviceId);
      expect(await cli.partials.requestDrop(deck.deviceId)).toBe(1);
      await until('both instances hear of the drop', () => seen.a === 1 && seen.b === 1);
      await cli.devices.revoke(deck.deviceId);
      await until('both instances hear of the revocation', () => seen.a === 2 && seen.b === 2);
    } finally {
      await Promise.all(watches.map((w) => w.stop()));
    }
  });

  it('a watch whose connection is cut reconnects and catches up on what it may have missed', async () => {
    const [a, cli] = await instances(freshSchema(), 2, 2);
    if (!a || !cli) throw new Error('two instances expected');
    let seen = 0;
    const errors: Error[] = [];
    const watch = a.watch(() => seen++, { onError: (error) => errors.push(error), retryMs: 200 });
    await watch.listening;
    try {
      const deck = await cli.devices.enroll('Deck tablet');
      const { rows } = await admin.query(
        'SELECT pg_terminate_backend(pid) AS cut FROM pg_stat_activity WHERE application_name = $1',
        [WATCH_APPLICATION],
      );
      expect(rows).toEqual([{ cut: true }]);
      await until('the watch notices its connection is gone', () => errors.length > 0);
      // Committed while no one listens: its notification is lost, the reconnection makes up for it.
      await cli.devices.revoke(deck.deviceId);
      await until('the watch reconnects and catches up', () => seen === 1);
      const bridge = await cli.devices.enroll('Bridge phone');
      await cli.devices.revoke(bridge.deviceId);
      await until('the reconnected watch hears the next revocation', () => seen === 2);
    } finally {
      await watch.stop();
    }
  });
});
