import { useEffect, useState } from 'preact/hooks';
import { IdbSettingsStore } from '../shared/db/IdbSettingsStore.ts';
import { IdbSpendStore } from '../shared/db/IdbSpendStore.ts';
import type { LinkSettings } from '../shared/linkSettings.ts';
import type { SpendTotals } from '../shared/spendLedger.ts';
import { onWorkerMessage } from './swBridge.ts';

/** Read and written by the page; the Settings screen's form saves through the same store. */
export const settingsStore = new IdbSettingsStore();
const spendStore = new IdbSpendStore();

/** What the page knows of the link settings and the spend. */
export interface LinkSettingsState {
  /** As stored; null until read. */
  settings: LinkSettings | null;
  /** The settings the worker last said it applies; null until it has. */
  applied: LinkSettings | null;
  spend: SpendTotals;
}

let shared: LinkSettingsState = { settings: null, applied: null, spend: { todayBytes: 0, monthBytes: 0 } };
const listeners = new Set<(state: LinkSettingsState) => void>();
let started = false;

function publish(change: (s: LinkSettingsState) => LinkSettingsState): void {
  shared = change(shared);
  for (const listener of listeners) listener(shared);
}

/** Reads the settings and the spend once for the page, then follows the worker's messages. */
function start(): void {
  if (started) return;
  started = true;
  void (async () => {
    const settings = await settingsStore.settings();
    const spend = (await spendStore.ledger(settings.timeZone)).totals(Date.now());
    publish((s) => ({ ...s, settings: s.settings ?? settings, spend }));
  })();
  onWorkerMessage((message) => {
    if (message.type === 'spend')
      publish((s) => ({ ...s, spend: { todayBytes: message.todayBytes, monthBytes: message.monthBytes } }));
    if (message.type === 'settings-applied')
      publish((s) => ({ ...s, settings: message.settings, applied: message.settings }));
  });
}

/**
 * The stored settings and the spend so far, kept fresh by the worker's messages. Every component
 * that shows them shares one read and one channel.
 */
export function useLinkSettings(): LinkSettingsState {
  const [state, setState] = useState(shared);
  useEffect(() => {
    start();
    listeners.add(setState);
    setState(shared);
    return () => void listeners.delete(setState);
  }, []);
  return state;
}
