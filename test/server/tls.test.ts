import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ADMIN, startServer, tempDir } from './helpers.ts';

function get(url: string, ca: Buffer, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    https
      .get(url, { ca, headers, servername: 'localhost' }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

describe('HTTPS', () => {
  it('serves over TLS when TENDER_TLS_CERT and TENDER_TLS_KEY are set, with https enrolment links', async () => {
    const dir = tempDir('tender-tls-');
    const cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
        '-keyout',
        key,
        '-out',
        cert,
      ],
      { stdio: 'pipe' },
    );
    const s = await startServer({ TENDER_TLS_CERT: cert, TENDER_TLS_KEY: key });
    try {
      expect(s.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const ca = fs.readFileSync(cert);
      const health = await get(`${s.url}/healthz`, ca);
      expect(health.status).toBe(200);
      expect(JSON.parse(health.body)).toMatchObject({ ok: true });
      const devices = await new Promise<string>((resolve, reject) => {
        const req = https.request(`${s.url}/api/devices`, { method: 'POST', ca, headers: ADMIN }, (res) => {
          let body = '';
          res.on('data', (c) => {
            body += c;
          });
          res.on('end', () => resolve(body));
        });
        req.on('error', reject);
        req.end('{"name":"TLS tablet"}');
      });
      const port = new URL(s.url).port;
      expect((JSON.parse(devices) as { enrollUrl: string }).enrollUrl).toMatch(
        new RegExp(`^https://localhost:${port}/enroll#code=`),
      );
    } finally {
      await s.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
