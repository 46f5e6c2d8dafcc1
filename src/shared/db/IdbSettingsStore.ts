import { type AddDefaults, readAddDefaults } from '../addDefaults.ts';
import type { LinkSnapshot } from '../linkEstimator.ts';
import { defaultSettings, type LinkSettings, readSettings } from '../linkSettings.ts';
import { lazyDb } from './QueueDb.ts';

/** Key of the link settings in the `settings` store. */
export const LINK_SETTINGS_KEY = 'link-settings';
/** Key of what the worker last knew about the link (rates, round trip, six hours of history). */
export const LINK_SNAPSHOT_KEY = 'link-snapshot';
/** Key of the Add files form's last choices (priority, tags, keep a copy). */
export const ADD_DEFAULTS_KEY = 'add-defaults';
/** Key of when the browser last refused to keep this app's storage (epoch ms). */
export const PERSIST_REFUSED_KEY = 'persist-refused-at';

/** The crew's link settings in IndexedDB, shared by the page (which writes them) and the worker. */
export class IdbSettingsStore {
  readonly #open: ReturnType<typeof lazyDb>;

  constructor(name?: string) {
    this.#open = lazyDb(name);
  }

  /**
   * The stored settings; defaults (with the device's time zone) when none were saved, and a default
   * for each field missing or no longer valid.
   */
  async settings(): Promise<LinkSettings> {
    const stored = await (await this.#open()).get('settings', LINK_SETTINGS_KEY);
    return readSettings(stored, defaultSettings());
  }

  /** What the worker last knew about the link, if it ever saved it. */
  async linkSnapshot(): Promise<LinkSnapshot | undefined> {
    const stored = await (await this.#open()).get('settings', LINK_SNAPSHOT_KEY);
    return stored && typeof stored === 'object' && 'history' in stored ? stored : undefined;
  }

  async setLinkSnapshot(snapshot: LinkSnapshot): Promise<void> {
    await (await this.#open()).put('settings', snapshot, LINK_SNAPSHOT_KEY);
  }

  /** Replaces the settings as a whole (the form saves every field); pass settings validateSettings returned. */
  async setSettings(settings: LinkSettings): Promise<void> {
    await (await this.#open()).put('settings', { ...settings }, LINK_SETTINGS_KEY);
  }

  /** The Add files form's last choices, or the first-use ones. */
  async addDefaults(): Promise<AddDefaults> {
    return readAddDefaults(await (await this.#open()).get('settings', ADD_DEFAULTS_KEY));
  }

  async setAddDefaults(defaults: AddDefaults): Promise<void> {
    await (await this.#open()).put('settings', readAddDefaults(defaults), ADD_DEFAULTS_KEY);
  }

  /** When the browser last said no to keeping this app's storage; null if never. */
  async persistRefusedAt(): Promise<number | null> {
    const stored = await (await this.#open()).get('settings', PERSIST_REFUSED_KEY);
    return typeof stored === 'number' ? stored : null;
  }

  async setPersistRefusedAt(at: number | null): Promise<void> {
    const db = await this.#open();
    if (at === null) await db.delete('settings', PERSIST_REFUSED_KEY);
    else await db.put('settings', at, PERSIST_REFUSED_KEY);
  }
}
