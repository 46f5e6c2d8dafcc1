import { parseArgs } from 'node:util';
import { renderUnicodeCompact } from 'uqr';
import { loadConfig, publicBaseUrl, type TenderConfig } from './config.ts';
import { openDatabase } from './db.ts';
import { type Devices, SqliteDevices } from './devices.ts';
import { type EnrolmentCodes, enrolmentLink, SqliteEnrolmentCodes } from './enrolmentCodes.ts';
import { describeUnfinished, type Partials, SqlitePartials } from './partials.ts';
import { openPostgres } from './pg/index.ts';

const USAGE = `Usage: npm run tender -- <command>

  enroll --name "Deck tablet" [--json]   enrol a device; prints its link and a QR code
  devices [--json]                       list enrolled devices
  revoke <deviceId>                      revoke a device; its open requests are cut
  unfinished <deviceId> [--json]         list a device's unfinished uploads
  drop <deviceId>                        delete a device's unfinished uploads (frees its quota)

Reads TENDER_DATA_DIR (default ./data), or the fleet's PostgreSQL when TENDER_DATABASE_URL is set
(schema TENDER_DATABASE_SCHEMA, default public), and, for the link, TENDER_PUBLIC_URL
(default http(s)://localhost:$PORT). Works whether or not the servers are running.`;

class UsageError extends Error {}

/** The repositories the operator's commands use, over whichever database the servers share. */
type Store = { devices: Devices; codes: EnrolmentCodes; partials: Partials; close(): Promise<void> };

// <TENDER_DATA_DIR>/tender.db is safe beside a running server (WAL); with PostgreSQL, every instance
// hears of a revocation or drop request as it commits.
async function openStore(config: TenderConfig): Promise<Store> {
  const { database } = config;
  if (database) {
    return openPostgres({ connectionString: database.url, schema: database.schema, maxConnections: 1 });
  }
  const db = openDatabase(config.dataDir);
  return {
    devices: new SqliteDevices(db),
    codes: new SqliteEnrolmentCodes(db),
    partials: new SqlitePartials(db),
    close: async () => void db.close(),
  };
}

async function run(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    console.log(USAGE);
    return;
  }
  const config = loadConfig(process.env, { tool: true });
  if (!['enroll', 'devices', 'revoke', 'unfinished', 'drop'].includes(command)) {
    throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  }
  const store = await openStore(config);
  try {
    await runCommand(command, rest, config, store);
  } finally {
    await store.close();
  }
}

async function runCommand(
  command: string,
  rest: string[],
  config: TenderConfig,
  store: Store,
): Promise<void> {
  if (command === 'enroll') {
    const { values } = parse(rest, ['name', 'json'], 0);
    if (!values.name) throw new UsageError('enroll needs --name "Device name"');
    const { deviceId, name, token } = await store.devices.enroll(String(values.name));
    const scheme = config.tlsCert ? 'https' : 'http';
    const code = await store.codes.issue(deviceId, token, config.enrolmentCodeTtlMs);
    const enrollUrl = enrolmentLink(publicBaseUrl(config, `${scheme}://localhost:${config.port}`), code);
    if (values.json) {
      console.log(JSON.stringify({ deviceId, token, enrollUrl }));
      return;
    }
    console.log(`Enrolled "${name}" as device ${deviceId}.\n`);
    console.log(
      `Open this link on the device (or scan the code). It works once, within ${describeMs(config.enrolmentCodeTtlMs)}:\n`,
    );
    console.log(`  ${enrollUrl}\n`);
    console.log(renderUnicodeCompact(enrollUrl, { border: 2 }));
    console.log('\nGive the link to that device only: whoever opens it first becomes this device.');
    if (!config.publicUrl) {
      console.log(
        'Set TENDER_PUBLIC_URL to the address devices use (e.g. https://tender.yacht.example) for a link that works on the LAN.',
      );
    }
    return;
  }
  if (command === 'devices') {
    const { values } = parse(rest, ['json'], 0);
    const list = await store.devices.list();
    if (values.json) {
      console.log(JSON.stringify(list));
      return;
    }
    if (!list.length)
      console.log('No devices enrolled. Enrol one: npm run tender -- enroll --name "Deck tablet"');
    for (const d of list) {
      const state = d.revokedAt ? `revoked ${d.revokedAt}` : `last seen ${d.lastSeenAt ?? 'never'}`;
      console.log(`${d.deviceId}  ${d.name.padEnd(24)}  enrolled ${d.createdAt}  ${state}`);
    }
    return;
  }
  if (command === 'revoke') {
    const { positionals } = parse(rest, [], 1);
    const deviceId = positionals[0] ?? '';
    if (!(await store.devices.revoke(deviceId))) {
      throw new UsageError(`no device ${JSON.stringify(deviceId)}; see: npm run tender -- devices`);
    }
    console.log(
      `Revoked ${deviceId}. A running server cuts its open requests within seconds and deletes its unfinished uploads.`,
    );
    return;
  }
  if (command === 'unfinished' || command === 'drop') {
    const { values, positionals } = parse(rest, command === 'unfinished' ? ['json'] : [], 1);
    const deviceId = positionals[0] ?? '';
    if (!(await store.devices.get(deviceId))) {
      throw new UsageError(`no device ${JSON.stringify(deviceId)}; see: npm run tender -- devices`);
    }
    const partials = store.partials;
    if (command === 'drop') {
      // The running server holds the upload files and locks; it deletes what is marked here.
      const count = await partials.requestDrop(deviceId);
      console.log(
        `Marked ${count} unfinished upload(s) of ${deviceId} to drop. A running server deletes them within seconds; otherwise the server does at its next start.`,
      );
      return;
    }
    const list = (await partials.ofDevice(deviceId)).map(describeUnfinished);
    if (values.json) {
      console.log(JSON.stringify(list));
      return;
    }
    if (!list.length) console.log(`Device ${deviceId} has no unfinished uploads.`);
    for (const u of list) {
      const mark = u.dropRequested ? '  (drop requested)' : '';
      console.log(`${u.id}  ${u.name.padEnd(24)}  ${u.offset}/${u.size} bytes  since ${u.createdAt}${mark}`);
    }
    return;
  }
  throw new UsageError(`unknown command ${JSON.stringify(command)}`);
}

function describeMs(ms: number): string {
  if (ms % 3_600_000 === 0) return ms === 3_600_000 ? 'an hour' : `${ms / 3_600_000} hours`;
  if (ms % 60_000 === 0) return `${ms / 60_000} minutes`;
  return `${Math.round(ms / 1000)} seconds`;
}

const OPTIONS = { name: { type: 'string' }, json: { type: 'boolean' } } as const;

function parse(args: string[], allowed: (keyof typeof OPTIONS)[], positionals: number) {
  let result: ReturnType<
    typeof parseArgs<{ args: string[]; options: typeof OPTIONS; allowPositionals: true }>
  >;
  try {
    result = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  for (const key of Object.keys(result.values)) {
    if (!allowed.includes(key as keyof typeof OPTIONS)) throw new UsageError(`--${key} does not apply here`);
  }
  if (result.positionals.length !== positionals) {
    throw new UsageError(
      positionals ? 'expected a device id' : `unexpected argument ${result.positionals[0]}`,
    );
  }
  return result;
}

try {
  await run(process.argv.slice(2));
} catch (error) {
  console.error(`tender: ${(error as Error).message}`);
  if (error instanceof UsageError) console.error(`\n${USAGE}`);
  process.exitCode = error instanceof UsageError ? 2 : 1;
}
