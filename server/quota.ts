import type { Partials, Reserved } from './partials.ts';

/** Per-device caps on unfinished uploads. */
export type DeviceQuota = { maxReservedBytes: number; maxUnfinished: number };

/** Why a new upload of `length` bytes would take a device past its quota: 413 never fits, 429 later. */
export type QuotaRefusal = { status: 413 | 429; error: string };

/** Checks a new upload against the device's quota; undefined when it fits. */
export async function checkQuota(
  partials: Partials,
  deviceId: string,
  length: number | undefined,
  quota: DeviceQuota,
): Promise<QuotaRefusal | undefined> {
  return quotaRefusal(await partials.reservedBy(deviceId), length, quota);
}

/** Whether a new upload of `length` bytes fits beside what the device already holds; undefined when it does. */
export function quotaRefusal(
  reserved: Reserved,
  length: number | undefined,
  quota: DeviceQuota,
): QuotaRefusal | undefined {
  if (length !== undefined && length > quota.maxReservedBytes) {
    return {
      status: 413,
      error: `upload is larger than the ${quota.maxReservedBytes}-byte limit per device`,
    };
  }
  if (reserved.count >= quota.maxUnfinished) {
    return {
      status: 429,
      error: `this device already has ${reserved.count} unfinished uploads; finish or cancel some`,
    };
  }
  if (length !== undefined && reserved.bytes + length > quota.maxReservedBytes) {
    return {
      status: 429,
      error: "this device's unfinished uploads already hold its share of the disk; finish or cancel some",
    };
  }
  return undefined;
}
