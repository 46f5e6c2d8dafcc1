import { useEffect, useState } from 'preact/hooks';
import { IdbQueueStore } from '../shared/db/IdbQueueStore.ts';
import type { DeviceCredential } from '../shared/types.ts';
import { onWorkerMessage, requestUpload } from './swBridge.ts';

const store = new IdbQueueStore();

/** Whether this device may upload: not enrolled, enrolled, or refused by the server. */
export type DeviceStatus = 'loading' | 'none' | 'ok' | 'rejected';

/** What the page knows of this device's sign-in. */
export interface DeviceState {
  status: DeviceStatus;
  name: string | null;
  /** A message about the last enrolment attempt, when it needs one. */
  notice: string | null;
  /** Signs in with an enrolment link or code pasted or scanned on this page. */
  signIn(text: string): Promise<void>;
  /** Forgets this device's token: files stay queued and wait until it is signed in again. */
  signOut(): Promise<void>;
}

const statusOf = (c: DeviceCredential | undefined): DeviceStatus =>
  !c ? 'none' : c.rejectedAt ? 'rejected' : 'ok';

/** Asks the server who this token belongs to; marks the credential refused on 401/403. */
async function verify(credential: DeviceCredential): Promise<DeviceCredential> {
  try {
    const res = await fetch('/api/device', { headers: { Authorization: `Bearer ${credential.token}` } });
    if (res.status === 401 || res.status === 403) {
      const refused = { ...credential, rejectedAt: Date.now() };
      await store.setCredential(refused);
      return refused;
    }
    if (!res.ok) return credential;
    const body = (await res.json()) as { deviceId?: string; name?: string };
    const known = {
      ...credential,
      deviceId: body.deviceId ?? null,
      name: body.name ?? null,
      rejectedAt: null,
    };
    await store.setCredential(known);
    return known;
  } catch {
    // Offline: keep the token; the worker's first request will tell.
    return credential;
  }
}

/** Why an enrolment code could not be exchanged, in words for the crew. */
const CODE_SPENT =
  'This enrolment link has already been used or has expired. Ask the person who runs Tender on board to enrol this device again, then open the new link.';

/**
 * Exchanges the one-time code of an enrolment link (`/enroll#code=…`) for this device's token.
 * Returns the token, or the message to show instead.
 */
async function exchangeCode(code: string): Promise<{ token: string } | { notice: string }> {
  let res: Response;
  try {
    res = await fetch('/api/enroll', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ code }),
    });
  } catch {
    return {
      notice:
        'Could not reach the server to sign this device in. Connect to the boat’s network and open the link again.',
    };
  }
  if (res.status === 404 || res.status === 410) return { notice: CODE_SPENT };
  if (!res.ok)
    return {
      notice: `The server could not sign this device in (${res.status}). Open the link again in a minute.`,
    };
  const { token } = (await res.json()) as { token: string };
  return { token };
}

/**
 * The code or token of an enrolment link (`…/enroll#code=…`, or `#token=…` from older links),
 * however it reached the device: opened, pasted, or read from the operator's QR code. A bare code
 * pasted on its own counts too. Null when the text holds neither.
 */
export function enrolmentOf(text: string): { code: string } | { token: string } | null {
  const trimmed = text.trim();
  const hash = trimmed.includes('#') ? trimmed.slice(trimmed.indexOf('#') + 1) : '';
  const params = new URLSearchParams(hash);
  const code = params.get('code');
  const token = params.get('token');
  if (code) return { code };
  if (token) return { token };
  return /^[A-Za-z0-9_-]{16,}$/.test(trimmed) ? { code: trimmed } : null;
}

/** Signs this device in with an enrolment's code or token; the message to show, or null when it worked. */
async function signInWith(enrolment: { code: string } | { token: string } | null): Promise<string | null> {
  if (!enrolment) return 'This enrolment link is incomplete. Open the whole link the operator gave you.';
  let token: string;
  if ('code' in enrolment) {
    const exchanged = await exchangeCode(enrolment.code);
    if ('notice' in exchanged) {
      const current = await store.credential();
      // Opening the same link again on a device it already signed in is not a problem.
      return current && !current.rejectedAt ? null : exchanged.notice;
    }
    token = exchanged.token;
  } else token = enrolment.token;
  const credential: DeviceCredential = {
    token,
    deviceId: null,
    name: null,
    enrolledAt: Date.now(),
    rejectedAt: null,
  };
  await store.setCredential(credential);
  const checked = await verify(credential);
  if (checked.rejectedAt) return 'This enrolment link is no longer valid. Ask the operator for a new one.';
  await requestUpload('enrolled');
  return null;
}

/**
 * Handles an enrolment link opened in the browser. Stores the token and removes the link from the
 * address bar. Code and token travel in the fragment, so they never reach a server log.
 */
async function enrollFromLocation(): Promise<string | null> {
  if (window.location.pathname !== '/enroll') return null;
  const hash = window.location.hash;
  window.history.replaceState(null, '', '/');
  return signInWith(enrolmentOf(hash));
}

/** This device's sign-in state as a hook; handles an enrolment link on first use. */
export function useDevice(): DeviceState {
  const [state, setState] = useState<Omit<DeviceState, 'signIn' | 'signOut'>>({
    status: 'loading',
    name: null,
    notice: null,
  });
  const refresh = async (notice: string | null) => {
    const credential = await store.credential();
    setState({ status: statusOf(credential), name: credential?.name ?? null, notice });
  };
  useEffect(() => {
    void (async () => {
      const notice = await enrollFromLocation();
      await refresh(notice);
      const credential = await store.credential();
      if (credential && !credential.rejectedAt && !credential.name) {
        await verify(credential);
        await refresh(notice);
      }
    })();
    return onWorkerMessage((message) => {
      if (message.type === 'auth-changed') void refresh(null);
    });
  }, []);
  const signIn = async (text: string) => {
    const notice = await signInWith(enrolmentOf(text));
    await refresh(notice);
    const credential = await store.credential();
    if (!notice && credential && !credential.name) await refresh(null);
  };
  const signOut = async () => {
    await store.clearCredential();
    // A run under way stops at its next request (the server no longer hears this device's token).
    await requestUpload('signed-out');
    await refresh(null);
  };
  return { ...state, signIn, signOut };
}
