import { parseArgs } from 'node:util';
import { renderUnicodeCompact } from 'uqr';
import { loadConfig, publicBaseUrl } from './config.ts';
import { openDatabase } from './db.ts';
import { SqliteDevices } from './devices.ts';
import { enrolmentLink, SqliteEnrolmentCodes } from './enrolmentCodes.ts';
import { describeUnfinished, SqlitePartials } from './partials.ts';

const USAGE = `Usage: npm run tender -- <command>

  enroll --name "Deck tablet" [--json]   enrol a device; prints its link and a QR code
  devices [--json]                       list enrolled devices
  revoke <deviceId>                      revoke a device; its open requests are cut
  unfinished <deviceId> [--json]         list a device's unfinished uploads
  drop <deviceId>                        delete a device's unfinished uploads (frees its quota)

Reads TENDER_DATA_DIR (default ./data) and, for the link, TENDER_PUBLIC_URL
(default http(s)://localhost:$PORT). Works whether or not the server is running.`;

class UsageError extends Error {}

// Operator commands against <TENDER_DATA_DIR>/tender.db, safe beside a running server (WAL).
async function run(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    console.log(USAGE);
    return;
  }
  const config = loadConfig();
  if (command === 'enroll') {
    const { values } = parse(rest, ['name', 'json'], 0);
    if (!values.name) throw new UsageError('enroll needs --name "Device name"');
    const db = openDatabase(config.dataDir);
    const { deviceId, name, token } = await new SqliteDevices(db).enroll(String(values.name));
    const scheme = config.tlsCert ? 'https' : 'http';
    const code = await new SqliteEnrolmentCodes(db).issue(deviceId, token, config.enrolmentCodeTtlMs);
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
    const list = await new SqliteDevices(openDatabase(config.dataDir)).list();
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
    if (!(await new SqliteDevices(openDatabase(config.dataDir)).revoke(deviceId))) {
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
    const db = openDatabase(config.dataDir);
    if (!(await new SqliteDevices(db).get(deviceId))) {
      throw new UsageError(`no device ${JSON.stringify(deviceId)}; see: npm run tender -- devices`);
    }
    const partials = new SqlitePartials(db);
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
