import type http from 'node:http';
import path from 'node:path';
import { Forwarder, type ForwardStatus } from '../src/node/Forwarder.ts';
import type { QueueItem } from '../src/shared/types.ts';
import type { Device, Devices } from './devices.ts';
import type { FileBytes } from './fileBytes.ts';
import type { Logger } from './log.ts';
import type { UploadRecord, UploadRecords } from './records.ts';
import { sendJson, sendNotAllowed } from './respond.ts';
import { storedKey } from './uploadBytes.ts';

/** How far a crew device's upload has got, as its app shows it. */
export type Stage = {
  /** 'on-board': the relay holds it and will forward it; 'ashore': shore confirmed every byte. */
  stage: 'on-board' | 'ashore' | 'failed';
  ashoreAt: number | null;
  /** Why it waits or failed, in plain words; null while it simply queues. */
  reason: string | null;
};

const FORWARDING_SINCE = 'forwarding-since';
const MAX_IDS = 200;

/**
 * Relay mode: the on-board box takes the crew's uploads at Wi-Fi speed and forwards each to shore
 * (TENDER_FORWARD_TO) as the ship's device (TENDER_FORWARD_TOKEN), with the app's own engine and link
 * awareness. Needs the local file store: an outbox item is a hard link to the record's bytes.
 */
export class Relay {
  readonly forwarder: Forwarder;
  readonly #opts: RelayOptions;

  constructor(opts: RelayOptions) {
    this.#opts = opts;
    this.forwarder = new Forwarder({
      shore: opts.forward.to,
      token: opts.forward.token,
      dir: path.join(opts.dataDir, 'outbox'),
      log: (level, message, fields) => opts.log(level, `relay: ${message}`, fields),
    });
  }

  /**
   * Starts forwarding. Records filed since forwarding first began and missing from the outbox (the
   * relay stopped between filing and queueing) are queued first; older ones are not sent ashore.
   */
  async start(): Promise<void> {
    const state = this.forwarder.state;
    const saved = state.value(FORWARDING_SINCE);
    const since = typeof saved === 'string' ? saved : new Date().toISOString();
    if (saved !== since) state.setValue(FORWARDING_SINCE, since);
    for (let offset = 0; ; offset += 500) {
      const page = await this.#opts.records.list({ since, limit: 500, offset });
      for (const record of page) {
        // One record that cannot be queued (its bytes deleted by hand) must not keep the rest, or
        // the server, from starting.
        await this.recorded(record).catch((error: unknown) =>
          this.#opts.log('error', 'relay: a filed upload could not be queued for shore', {
            id: record.id,
            error: String(error),
          }),
        );
      }
      if (page.length < 500) break;
    }
    this.forwarder.start();
  }

  stop(): Promise<void> {
    return this.forwarder.stop();
  }

  /** Queues a filed record for shore (once; a record already queued is left as it is). */
  async recorded(record: UploadRecord): Promise<void> {
    const device = record.deviceId ? await this.#opts.devices.get(record.deviceId) : undefined;
    await this.forwarder.enqueue({
      id: record.id,
      name: record.name,
      type: record.type,
      size: record.size,
      sha256: record.sha256,
      metadata: record.metadata,
      deviceName: device?.name ?? null,
      path: this.#opts.bytes.localPath(storedKey(record)),
    });
  }

  status(): Promise<ForwardStatus> {
    return this.forwarder.status();
  }

  /** GET /api/ashore?ids=a,b: the stage of each of this device's uploads named (others are left out). */
  async handleStages(req: http.IncomingMessage, res: http.ServerResponse, device: Device): Promise<void> {
    if (req.method !== 'GET') return sendNotAllowed(res, 'GET');
    const raw = new URL(req.url ?? '/', 'http://localhost').searchParams.get('ids') ?? '';
    const ids = raw.split(',').filter(Boolean);
    if (ids.length > MAX_IDS) return sendJson(res, 400, { error: `at most ${MAX_IDS} ids at once` });
    const stages: Record<string, Stage> = {};
    for (const item of await this.forwarder.items(ids)) {
      const record = await this.#opts.records.get(item.id);
      if (record?.deviceId !== device.deviceId) continue;
      stages[item.id] = stageOf(item);
    }
    sendJson(res, 200, { relay: true, stages });
  }
}

export type RelayOptions = {
  forward: { to: string; token: string };
  dataDir: string;
  bytes: FileBytes;
  devices: Devices;
  records: UploadRecords;
  log: Logger;
};

function stageOf(item: QueueItem): Stage {
  if (item.status === 'uploaded') return { stage: 'ashore', ashoreAt: item.uploadedAt, reason: null };
  if (item.status === 'failed') return { stage: 'failed', ashoreAt: null, reason: item.lastError };
  return { stage: 'on-board', ashoreAt: null, reason: item.lastError };
}
