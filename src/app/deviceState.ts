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

/**
 * Takes the token from an enrolment link (`/enroll#token=…`), stores it and removes it from the
 * address bar. The token travels in the fragment, so it never reaches a server log.
 */
async function enrollFromLocation(): Promise<string | null> {
  if (window.location.pathname !== '/enroll') return null;
  const token = new URLSearchParams(window.location.hash.slice(1)).get('token');
  window.history.replaceState(null, '', '/');
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
