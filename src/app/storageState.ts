/** What the browser says of this app's storage on the device. */
export interface StorageState {
  /** Bytes the origin uses (queue, files, app shell), as `navigator.storage.estimate()` reports. */
  usage: number;
  /** Bytes the origin may use before writes are refused. */
  quota: number;
  /** The browser promised not to evict this app's data under storage pressure. */
  persisted: boolean;
}

/** Reads usage, quota and persistence; null where the browser does not say. */
export async function readStorage(): Promise<StorageState | null> {
  const storage = navigator.storage;
  const estimate = await storage?.estimate?.().catch(() => undefined);
  if (estimate?.usage === undefined || estimate.quota === undefined) return null;
  const persisted = (await storage.persisted?.().catch(() => false)) ?? false;
  return { usage: estimate.usage, quota: estimate.quota, persisted };
}
