import { useState } from 'preact/hooks';
import type { DeviceState } from '../deviceState.ts';
import { SignIn } from '../SignIn/index.tsx';

/** Whether this device is signed in, as whom, and the ways to sign in again or out. */
export function DeviceSection({ device }: { device: DeviceState }) {
  const [confirming, setConfirming] = useState(false);
  const [again, setAgain] = useState(false);
  const signedIn = device.status === 'ok';
  const state =
    device.status === 'loading'
      ? 'Reading this device’s sign-in…'
      : signedIn
        ? `Signed in as ${device.name ?? 'this device'}. Files go ashore under this name.`
        : device.status === 'rejected'
          ? 'Not signed in: the server no longer accepts this device. Files stay queued until it is signed in again.'
          : 'Not signed in yet. Files stay queued until this device is signed in.';
  return (
    <section class="settings-section" aria-labelledby="settings-device">
      <h2 id="settings-device">This device</h2>
      <p role="status">{state}</p>
      {device.notice && (
        <p role="alert" class="error">
          {device.notice}
        </p>
      )}
      {signedIn && !again ? (
        <div class="actions">
          <button type="button" class="secondary" onClick={() => setAgain(true)}>
            Sign in again
          </button>
          {!confirming && (
            <button type="button" class="secondary" onClick={() => setConfirming(true)}>
              Sign out
            </button>
          )}
        </div>
      ) : (
        <>
          <p class="hint">
            Ask the person who runs Tender on board for an enrolment link or QR code for this device.
          </p>
          <SignIn
            signIn={async (text) => {
              await device.signIn(text);
              setAgain(false);
            }}
          />
        </>
      )}
      {signedIn && confirming && (
        <fieldset class="confirm">
          <legend class="sr-only">Sign out</legend>
          <p>
            Sign out of this device? Queued files stay on it but wait until it is signed in again, which needs
            a new enrolment link from the operator.
          </p>
          <div class="actions">
            <button
              type="button"
              class="danger"
              onClick={() => void device.signOut().then(() => setConfirming(false))}
            >
              Sign out now
            </button>
            <button type="button" class="secondary" onClick={() => setConfirming(false)}>
              Stay signed in
            </button>
          </div>
        </fieldset>
      )}
    </section>
  );
}
