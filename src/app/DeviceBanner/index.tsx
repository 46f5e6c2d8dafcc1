import type { DeviceState } from '../deviceState.ts';
import { SignIn } from '../SignIn/index.tsx';

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
      ? 'This device must be signed in again. Files stay queued; ask the operator for a new enrolment link and open or paste it below.'
      : 'This device is not signed in yet. Files stay queued; open the enrolment link or QR code the operator gives you, or paste it below.';
  return (
    <section class="device-banner" aria-label="Sign-in">
      <p role="alert">{device.notice ?? text}</p>
      <SignIn signIn={device.signIn} />
    </section>
  );
}
