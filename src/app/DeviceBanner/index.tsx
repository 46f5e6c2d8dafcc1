import type { DeviceState } from '../deviceState.ts';

/** Tells the crew when this device cannot upload because it is not signed in. */
export function DeviceBanner({ device }: { device: DeviceState }) {
  if (device.status === 'ok' || device.status === 'loading') {
    return device.notice ? (
      <p class="device-banner" role="alert">
        {device.notice}
      </p>
    ) : null;
  }
  const text =
    device.status === 'rejected'
      ? 'This device must be signed in again. Files stay queued; ask the operator for a new enrolment link.'
      : 'This device is not signed in yet. Files stay queued; open the enrolment link or QR code the operator gives you.';
  return (
    <p class="device-banner" role="alert">
      {device.notice ?? text}
    </p>
  );
}
