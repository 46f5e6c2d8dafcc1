import { IdbSettingsStore } from '../shared/db/IdbSettingsStore.ts';

/** What the browser says of this app's storage on the device. */
export interface StorageState {
  /** Bytes the origin uses (queue, files, app shell), as `navigator.storage.estimate()` reports. */
  usage: number;
  /** Bytes the origin may use before writes are refused. */
  quota: number;
  /** The browser promised not to evict this app's data under storage pressure. */
  persisted: boolean;
  /** The browser can be asked for that promise (`navigator.storage.persist()`). */
  canPersist: boolean;
}

/** Reads usage, quota and persistence; null where the browser does not say. */
export async function readStorage(): Promise<StorageState | null> {
  const storage = navigator.storage;
  const estimate = await storage?.estimate?.().catch(() => undefined);
  if (estimate?.usage === undefined || estimate.quota === undefined) return null;
  const persisted = (await storage.persisted?.().catch(() => false)) ?? false;
  return { usage: estimate.usage, quota: estimate.quota, persisted, canPersist: Boolean(storage.persist) };
}

const settings = new IdbSettingsStore();

/** When the browser last said no to keeping this app's storage; null if never or unreadable. */
export function persistRefusedAt(): Promise<number | null> {
  return settings.persistRefusedAt().catch(() => null);
}

/**
 * Asks the browser to keep this app's storage through storage pressure, and remembers a refusal
 * (the uploads screen then waits before offering again). Resolves to the browser's answer.
 */
export async function askToKeepStorage(): Promise<boolean> {
  const kept = (await navigator.storage?.persist?.().catch(() => false)) ?? false;
  await settings.setPersistRefusedAt(kept ? null : Date.now()).catch(() => {});
  return kept;
}
