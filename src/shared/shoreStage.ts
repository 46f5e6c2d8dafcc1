import { applyChange, type QueueStore } from './queueStore.ts';
import { reachedShore } from './transitions.ts';
import type { QueueItem } from './types.ts';

/** How far one relayed file has got, as an on-board relay says (`GET /api/ashore`). */
export interface RelayStage {
  stage: 'on-board' | 'ashore' | 'failed';
  /** When shore confirmed every byte; null before. */
  ashoreAt: number | null;
  /** Why it waits or failed, in the relay's words; null while it simply queues. */
  reason: string | null;
}

/**
 * What the server said of one uploaded file: a server ashore holds it ashore (`relay: false`); an
 * on-board relay gives its stage.
 */
export type ShoreStage = { relay: false } | ({ relay: true } & RelayStage);

/** The server's answer to one question: ashore itself, or a relay with the stages it knows. */
export type StagesAnswer = { relay: false } | { relay: true; stages: Map<string, RelayStage> };

/** Most ids the server takes in one question. */
export const MAX_STAGE_IDS = 200;

/** The server's id of an upload: the last path segment of its tus URL; null before it has one. */
export function uploadIdOf(uploadUrl: string | null): string | null {
  if (!uploadUrl) return null;
  const id = uploadUrl
    .replace(/[?#].*$/, '')
    .split('/')
    .pop();
  return id ? id : null;
}

/** True while an uploaded file is not yet known to be ashore, and the server can be asked about it. */
export function awaitingShore(item: Readonly<QueueItem>): boolean {
  return item.status === 'uploaded' && item.ashoreAt == null && uploadIdOf(item.uploadUrl) !== null;
}

const STAGES = new Set(['on-board', 'ashore', 'failed']);
const time = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : null);
const text = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v.slice(0, 500) : null);

/**
 * Reads an answer of `GET /api/ashore`; null for anything else (a captive portal's page, a proxy's
 * answer, an older server), which must never mark a file ashore. Malformed stages are left out.
 */
export function parseStages(body: unknown): StagesAnswer | null {
  if (typeof body !== 'object' || body === null) return null;
  const { relay, stages } = body as { relay?: unknown; stages?: unknown };
  if (relay === false) return { relay: false };
  if (relay !== true || typeof stages !== 'object' || stages === null) return null;
  const known = new Map<string, RelayStage>();
  for (const [id, raw] of Object.entries(stages)) {
    if (typeof raw !== 'object' || raw === null) continue;
    const { stage, ashoreAt, reason } = raw as Record<string, unknown>;
    if (typeof stage !== 'string' || !STAGES.has(stage)) continue;
    known.set(id, { stage: stage as RelayStage['stage'], ashoreAt: time(ashoreAt), reason: text(reason) });
  }
  return { relay: true, stages: known };
}

/** Asks the server about these upload ids (at most MAX_STAGE_IDS); resolves to its JSON body. */
export type AskStages = (ids: string[]) => Promise<unknown>;

/** What one check found: files it asked about, and those whose stage changed. */
export interface ShoreCheck {
  asked: number;
  changed: QueueItem[];
  /** Uploaded files still not known to be ashore afterwards. */
  left: number;
}

/**
 * Asks the server, in batches, how far each uploaded file not yet known to be ashore has got, and
 * records what it says through the store (`reachedShore`). Stops at the first question that fails
 * or is not answered by Tender: the files wait for the next check.
 */
export async function checkShore(deps: {
  store: Pick<QueueStore, 'all' | 'update'>;
  ask: AskStages;
  now: () => number;
  onChange?: (item: QueueItem) => void;
}): Promise<ShoreCheck> {
  const waiting = (await deps.store.all()).filter(awaitingShore);
  const changed: QueueItem[] = [];
  let asked = 0;
  for (let start = 0; start < waiting.length; start += MAX_STAGE_IDS) {
    const batch = waiting.slice(start, start + MAX_STAGE_IDS);
    const byId = new Map(batch.map((item) => [uploadIdOf(item.uploadUrl) ?? '', item]));
    const answer = parseStages(await deps.ask([...byId.keys()]).catch(() => null));
    if (!answer) break;
    asked += batch.length;
    for (const [uploadId, item] of byId) {
      const relayed = answer.relay ? answer.stages.get(uploadId) : undefined;
      // A relay leaves out what it has not queued yet: ask again next time.
      if (answer.relay && !relayed) continue;
      const stage: ShoreStage = relayed ? { relay: true, ...relayed } : { relay: false };
      const after = await applyChange(deps.store, item.id, reachedShore(stage, deps.now()));
      if (after) {
        changed.push(after);
        deps.onChange?.(after);
      }
    }
  }
  const left = waiting.length - changed.filter((i) => i.ashoreAt != null).length;
  return { asked, changed, left };
}
