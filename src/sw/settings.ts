import { IdbSettingsStore } from '../shared/db/IdbSettingsStore.ts';
import { IdbSpendStore } from '../shared/db/IdbSpendStore.ts';
import { timerClock } from '../shared/timerClock.ts';
import { UploadRules } from '../shared/uploadRules.ts';
import { announce } from './bridge.ts';

/*
 * The link settings and spend ledger as the worker holds them: read from IndexedDB when the worker
 * starts and again on every 'settings-changed' from a page, so the uploader always works under what
 * the crew last saved. Open pages are told the settings in force and every new total.
 */

/** The Network Information API's Save-Data flag, where the browser has it. */
const connection = (navigator as WorkerNavigator & { connection?: { saveData?: boolean } }).connection;

export const rules = new UploadRules({
  clock: timerClock({ setTimeout, clearTimeout }),
  settings: new IdbSettingsStore(),
  spend: new IdbSpendStore(),
  hints: () => ({ saveData: connection?.saveData === true }),
  showSettings: (settings) => announce({ type: 'settings-applied', settings }),
  showSpend: (totals) => announce({ type: 'spend', ...totals }),
  warn: (message, err) => console.error(`[tender] ${message}`, err),
});
