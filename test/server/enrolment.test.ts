import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Logger } from '../../server/log.ts';
import { ADMIN, sleep, startServer, type TestServer } from './helpers.ts';

const lines: string[] = [];
const log: Logger = (level, msg, fields) => {
  lines.push(JSON.stringify({ level, msg, ...fields }));
};

let s: TestServer;
beforeAll(async () => {
  s = await startServer({}, { log });
});
afterAll(() => s?.close());

type Enrolled = { deviceId: string; name: string; token: string; enrollUrl: string };

async function enrol(name: string): Promise<Enrolled & { code: string }> {
  const res = await fetch(`${s.url}/api/devices`, {
    method: 'POST',
    headers: ADMIN,
    body: JSON.stringify({ name }),
  });
  const body = (await res.json()) as Enrolled;
  return { ...body, code: body.enrollUrl.split('#code=')[1] ?? '' };
}

function exchange(code: unknown) {
  return fetch(`${s.url}/api/enroll`, { method: 'POST', body: JSON.stringify({ code }) });
}

describe('one-time enrolment codes', () => {
  it('the link carries a code, not the token; the code gives the token once', async () => {
    const device = await enrol('Galley tablet');
    expect(device.enrollUrl).not.toContain(device.token);
    expect(device.code).toMatch(/^[A-Za-z0-9_-]{22}$/);

    const first = await exchange(device.code);
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe('no-store');
    expect(await first.json()).toEqual({
      deviceId: device.deviceId,
      name: 'Galley tablet',
      token: device.token,
    });
    const me = await fetch(`${s.url}/api/device`, { headers: { Authorization: `Bearer ${device.token}` } });
    expect(me.status).toBe(200);

    // A photographed QR code is worth nothing once used.
    const again = await exchange(device.code);
    expect(again.status).toBe(410);
    expect(((await again.json()) as { error: string }).error).toMatch(
      /already been used or has expired.*enrol this device again/,
    );
  });

  it('expires', async () => {
    const short = await startServer({ TENDER_ENROLMENT_CODE_TTL_MS: '1000' });
    try {
      const res = await fetch(`${short.url}/api/devices`, {
        method: 'POST',
        headers: ADMIN,
        body: '{"name":"Late"}',
      });
      const code = ((await res.json()) as Enrolled).enrollUrl.split('#code=')[1];
      await sleep(1100); // the code's lifetime on this server: time passing is the condition
      const late = await fetch(`${short.url}/api/enroll`, { method: 'POST', body: JSON.stringify({ code }) });
      expect(late.status).toBe(410);
    } finally {
      await short.close();
    }
  });

  it('is refused for a revoked device, and unknown or malformed codes are refused', async () => {
    const device = await enrol('Lost phone');
    await fetch(`${s.url}/api/devices/${device.deviceId}`, { method: 'DELETE', headers: ADMIN });
    expect((await exchange(device.code)).status).toBe(410);
    expect((await exchange('A'.repeat(22))).status).toBe(404);
    expect((await exchange('short')).status).toBe(400);
    expect((await exchange(42)).status).toBe(400);
    expect((await fetch(`${s.url}/api/enroll`)).status).toBe(405);
  });

  it('never writes a code to the log', async () => {
    const device = await enrol('Bridge phone');
    await exchange(device.code);
    await exchange(device.code);
    expect(lines.some((l) => l.includes('enrolment code redeemed'))).toBe(true);
    expect(lines.some((l) => l.includes('enrolment code refused'))).toBe(true);
    expect(lines.filter((l) => l.includes(device.code))).toEqual([]);
    expect(lines.filter((l) => l.includes(device.token))).toEqual([]);
  });
});

describe('guessing codes', () => {
  it('counts as failed sign-ins: the address is throttled', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++)
      statuses.push((await exchange(`${String(i).padStart(2, '0')}${'B'.repeat(20)}`)).status);
    expect(statuses.slice(-5)).toEqual([429, 429, 429, 429, 429]);
  });
});
