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
 * Handles an enrolment link: its one-time code (`/enroll#code=…`, exchanged for the token) or, from
 * older links, the token itself (`#token=…`). Stores the token and removes the link from the address
 * bar. Both travel in the fragment, so they never reach a server log.
 */
async function enrollFromLocation(): Promise<string | null> {
  if (window.location.pathname !== '/enroll') return null;
  const params = new URLSearchParams(window.location.hash.slice(1));
  window.history.replaceState(null, '', '/');
  const code = params.get('code');
  let token = params.get('token');
  if (code) {
    const exchanged = await exchangeCode(code);
    if ('notice' in exchanged) {
      const current = await store.credential();
      // Opening the same link again on a device it already signed in is not a problem.
      return current && !current.rejectedAt ? null : exchanged.notice;
    }
    token = exchanged.token;
  }
  if (!token) return 'This enrolment link is incomplete. Open the whole link the operator gave you.';
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

/** This device's sign-in state as a hook; handles an enrolment link on first use. */
export function useDevice(): DeviceState {
  const [state, setState] = useState<DeviceState>({ status: 'loading', name: null, notice: null });
  useEffect(() => {
    let notice: string | null = null;
    const refresh = async () => {
      const credential = await store.credential();
      setState({ status: statusOf(credential), name: credential?.name ?? null, notice });
    };
    void (async () => {
      notice = await enrollFromLocation();
      await refresh();
      const credential = await store.credential();
      if (credential && !credential.rejectedAt && !credential.name) {
        await verify(credential);
        await refresh();
      }
    })();
    return onWorkerMessage((message) => {
      if (message.type === 'auth-changed') void refresh();
    });
  }, []);
  return state;
}
