import type http from 'node:http';
import { chartBars, chartSummary } from '../src/app/LinkPanel/chart.ts';
import { formatRate } from '../src/shared/linkEstimator.ts';
import { validateSettings } from '../src/shared/linkSettings.ts';
import type { Change } from '../src/shared/queueStore.ts';
import { costOf, dayTotal, emptyDay } from '../src/shared/spendLedger.ts';
import { pause, reprioritise, resume, retry } from '../src/shared/transitions.ts';
import type { QueueItem } from '../src/shared/types.ts';
import { addDays, localDay } from '../src/shared/zonedDate.ts';
import { readJson } from './body.ts';
import type { Relay } from './relay.ts';
import { sendJson, sendNotAllowed } from './respond.ts';

const OUTBOX_ITEM = /^\/api\/relay\/outbox\/([A-Za-z0-9_-]{1,128})\/(pause|resume|retry|priority)$/;
const DAYS_SHOWN = 31;
const CHART_HOURS = 6;
const CHART_BARS = 36;
const DEFAULT_PAGE = 50;
const MAX_PAGE = 500;

/** Why an outbox item waits or stopped, in the operator's words; null when nothing needs saying. */
export function outboxReason(item: QueueItem): string | null {
  if (item.status === 'failed') return item.lastError ?? 'Stopped; Retry sends it again.';
  if (item.status === 'paused') return 'Paused by the operator; Resume goes on from where it stopped.';
  if (item.status !== 'waiting') return null;
  switch (item.waitReason) {
    case 'budget-day':
      return 'Today’s data budget is used up: held on board until midnight (ship’s time zone), or raise the budget.';
    case 'budget-month':
      return 'This month’s data budget is used up: held on board until the 1st, or raise the budget.';
    case 'metered':
      return 'Too large for the metered link: held on board until the link is no longer marked metered.';
    case 'backoff':
      return 'Shore answered with an error: trying again shortly.';
    case 'offline':
      return 'Shore does not answer: waiting for the link.';
    case 'signed-out':
      return 'Shore refused the ship’s token.';
    default:
      return null;
  }
}

/** An outbox item as the operator's page lists it. */
function outboxRow(item: QueueItem) {
  return {
    id: item.id,
    name: item.name,
    size: item.size,
    priority: item.priority,
    status: item.status,
    bytesAshore: item.bytesConfirmed,
    lastError: item.lastError,
    reason: outboxReason(item),
    tags: item.tags,
    createdAt: item.createdAt,
    uploadedAt: item.uploadedAt,
  };
}

/** Bytes on the link for each of the last DAYS_SHOWN local days, oldest first, with their cost. */
async function spendDays(relay: Relay, now: number) {
  const settings = relay.forwarder.rules.current;
  const ledger = await relay.forwarder.state.ledger(settings.timeZone);
  const kept = new Map(ledger.toJSON().map((d) => [d.day, d]));
  const today = localDay(now, settings.timeZone);
  return Array.from({ length: DAYS_SHOWN }, (_, i) => {
    const day = addDays(today, i + 1 - DAYS_SHOWN);
    const bucket = kept.get(day) ?? emptyDay(day);
    const bytes = dayTotal(bucket);
    return { ...bucket, bytes, cost: costOf(bytes, settings.pricePerGB, settings.currency) };
  });
}

function page(params: URLSearchParams): { limit: number; offset: number } | Error {
  const read = (key: string, fallback: number, max: number) => {
    const raw = params.get(key);
    if (raw === null) return fallback;
    return /^\d+$/.test(raw) && Number(raw) <= max ? Number(raw) : null;
  };
  const limit = read('limit', DEFAULT_PAGE, MAX_PAGE);
  const offset = read('offset', 0, Number.MAX_SAFE_INTEGER);
  if (limit === null) return new Error(`limit must be an integer from 0 to ${MAX_PAGE}`);
  if (offset === null) return new Error('offset must be a whole number');
  return { limit, offset };
}

/** GET /api/relay: how forwarding stands, the link's last hours, spend per day, a page of the outbox. */
async function overview(relay: Relay, url: URL, res: http.ServerResponse): Promise<void> {
  const paging = page(url.searchParams);
  if (paging instanceof Error) return sendJson(res, 400, { error: paging.message });
  const now = Date.now();
  const status = await relay.status();
  const items = (await relay.forwarder.items()).sort(
    (a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1),
  );
  const settings = status.settings;
  const bars = chartBars(status.link.history, now, CHART_HOURS, CHART_BARS);
  sendJson(res, 200, {
    ...status,
    cost: {
      today: costOf(status.spend.todayBytes, settings.pricePerGB, settings.currency),
      month: costOf(status.spend.monthBytes, settings.pricePerGB, settings.currency),
      currency: settings.currency,
    },
    chart: { hours: CHART_HOURS, bars, summary: chartSummary(bars, CHART_HOURS, formatRate) },
    spendDays: await spendDays(relay, now),
    items: {
      total: items.length,
      ...paging,
      items: items.slice(paging.offset, paging.offset + paging.limit).map(outboxRow),
    },
  });
}

/** PUT /api/relay/settings: fields left out keep their current value; each invalid field is named. */
async function putSettings(relay: Relay, req: http.IncomingMessage, res: http.ServerResponse) {
  let body: unknown;
  try {
    body = await readJson(req);
  } catch (error) {
    return sendJson(res, 400, { error: (error as Error).message });
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return sendJson(res, 400, { error: 'send the settings as a JSON object' });
  const result = validateSettings(body, relay.forwarder.rules.current);
  if (result.errors) {
    const fields = Object.keys(result.errors).join(', ');
    return sendJson(res, 400, { error: `invalid settings: ${fields}`, errors: result.errors });
  }
  await relay.forwarder.setSettings(result.settings);
  sendJson(res, 200, { settings: relay.forwarder.rules.current });
}

/** POST /api/relay/outbox/{id}/{pause|resume|retry|priority}: one conditional change of one item. */
async function control(
  relay: Relay,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  id: string,
  action: string,
) {
  let change: (now: number) => Change;
  if (action === 'priority') {
    let priority: unknown;
    try {
      priority = ((await readJson(req)) as { priority?: unknown } | null)?.priority;
    } catch (error) {
      return sendJson(res, 400, { error: (error as Error).message });
    }
    if (typeof priority !== 'number' || !Number.isInteger(priority) || priority < 1 || priority > 10)
      return sendJson(res, 400, { error: 'priority must be a whole number from 1 to 10' });
    change = (now) => reprioritise(priority, now);
  } else {
    change = { pause, resume, retry }[action as 'pause' | 'resume' | 'retry'];
  }
  const before = (await relay.forwarder.items([id]))[0];
  if (!before) return sendJson(res, 404, { error: 'no such file in the outbox' });
  const after = await relay.forwarder.change(id, change);
  if (!after) {
    return sendJson(res, 409, {
      error: `cannot ${action === 'priority' ? 'change the priority of' : action} a file that is ${before.status}`,
      item: outboxRow(before),
    });
  }
  sendJson(res, 200, outboxRow(after));
}

/** Routes the operator's relay API (already authenticated as admin); false when the path is not one. */
export async function handleRelayApi(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  url: URL,
  relay: Relay | null,
): Promise<boolean> {
  const { pathname } = url;
  const item = OUTBOX_ITEM.exec(pathname);
  if (pathname !== '/api/relay' && pathname !== '/api/relay/settings' && !item) return false;
  if (!relay) {
    sendJson(res, 404, { error: 'this server does not forward (TENDER_FORWARD_TO is unset)' });
    return true;
  }
  const method = req.method ?? '';
  const expected =
    pathname === '/api/relay' ? ['GET', 'HEAD'] : pathname.endsWith('/settings') ? ['PUT'] : ['POST'];
  if (!expected.includes(method)) {
    sendNotAllowed(res, expected.join(', '));
    return true;
  }
  if (pathname === '/api/relay') await overview(relay, url, res);
  else if (!item) await putSettings(relay, req, res);
  else await control(relay, req, res, item[1] as string, item[2] as string);
  return true;
}
