import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import type { Socket } from 'node:net';
import { CHROMIUM, CHROMIUM_ARGS } from './fixtures.ts';

/*
 * Chromium driven over the DevTools protocol with nothing in between: no Playwright, which attaches
 * to every service worker and so lifts Chromium's ~3-minute limit on a sync event. Only the page
 * target is ever attached. Node 20's WebSocket sits behind a flag, so this file speaks the few parts
 * of RFC 6455 that a DevTools client needs over a plain `node:http` upgrade.
 */

type Json = Record<string, unknown>;
type Listener = (params: Json, sessionId: string | undefined) => void;

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** One WebSocket to Chromium's DevTools endpoint, with request/response matching and events. */
export class CdpConnection {
  readonly #socket: Socket;
  readonly #pending = new Map<
    number,
    { resolve: (v: Json) => void; reject: (e: Error) => void; method: string }
  >();
  readonly #listeners = new Map<string, Set<Listener>>();
  #nextId = 1;
  #buffer = Buffer.alloc(0);
  #fragments: Buffer[] = [];
  #closed = false;

  private constructor(socket: Socket, head: Buffer) {
    this.#socket = socket;
    socket.on('data', (data) => this.#receive(data));
    socket.on('close', () => this.#fail(new Error('DevTools connection closed')));
    socket.on('error', (err) => this.#fail(err));
    if (head.length) this.#receive(head);
  }

  /** Opens the WebSocket at `wsUrl` (`ws://127.0.0.1:PORT/devtools/browser/…`). */
  static connect(wsUrl: string): Promise<CdpConnection> {
    const url = new URL(wsUrl);
    const key = randomBytes(16).toString('base64');
    const expected = createHash('sha1')
      .update(key + WS_GUID)
      .digest('base64');
    return new Promise((resolve, reject) => {
      const req = request({
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        headers: {
          Connection: 'Upgrade',
          Upgrade: 'websocket',
          'Sec-WebSocket-Key': key,
          'Sec-WebSocket-Version': '13',
        },
      });
      req.on('upgrade', (res, socket, head) => {
        if (res.headers['sec-websocket-accept'] !== expected) {
          socket.destroy();
          reject(new Error('bad WebSocket handshake'));
          return;
        }
        socket.setNoDelay(true);
        resolve(new CdpConnection(socket, head));
      });
      req.on('response', (res) => reject(new Error(`no WebSocket upgrade: HTTP ${res.statusCode}`)));
      req.on('error', reject);
      req.end();
    });
  }

  /** Sends a command (to a flattened session when `sessionId` is given) and resolves with its result. */
  send<T = Json>(method: string, params: Json = {}, sessionId?: string): Promise<T> {
    if (this.#closed) return Promise.reject(new Error(`DevTools connection closed before ${method}`));
    const id = this.#nextId++;
    const message = JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) });
    this.#write(0x1, Buffer.from(message));
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: Json) => void, reject, method });
    });
  }

  /** Calls `listener` for every event named `method`; returns an unsubscribe function. */
  on(method: string, listener: Listener): () => void {
    const set = this.#listeners.get(method) ?? new Set();
    set.add(listener);
    this.#listeners.set(method, set);
    return () => set.delete(listener);
  }

  close(): void {
    if (this.#closed) return;
    this.#write(0x8, Buffer.alloc(0));
    this.#socket.end();
    this.#fail(new Error('DevTools connection closed'));
  }

  // Client frames are always masked (RFC 6455 §5.3).
  #write(opcode: number, payload: Buffer): void {
    const mask = randomBytes(4);
    const length = payload.length;
    const header = Buffer.alloc(length < 126 ? 2 : length < 65_536 ? 4 : 10);
    header[0] = 0x80 | opcode;
    if (length < 126) header[1] = 0x80 | length;
    else if (length < 65_536) {
      header[1] = 0x80 | 126;
      header.writeUInt16BE(length, 2);
    } else {
      header[1] = 0x80 | 127;
      header.writeBigUInt64BE(BigInt(length), 2);
    }
    const masked = Buffer.alloc(length);
    for (let i = 0; i < length; i++) masked[i] = (payload[i] as number) ^ (mask[i & 3] as number);
    this.#socket.write(Buffer.concat([header, mask, masked]));
  }

  #receive(data: Buffer): void {
    this.#buffer = Buffer.concat([this.#buffer, data]);
    for (;;) {
      const b = this.#buffer;
      if (b.length < 2) return;
      const fin = ((b[0] as number) & 0x80) !== 0;
      const opcode = (b[0] as number) & 0x0f;
      const masked = ((b[1] as number) & 0x80) !== 0;
      let length = (b[1] as number) & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (b.length < 4) return;
        length = b.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (b.length < 10) return;
        length = Number(b.readBigUInt64BE(2));
        offset = 10;
      }
      const maskKey = masked ? b.subarray(offset, offset + 4) : null;
      if (masked) offset += 4;
      if (b.length < offset + length) return;
      const payload = Buffer.from(b.subarray(offset, offset + length));
      if (maskKey) {
        for (let i = 0; i < payload.length; i++)
          payload[i] = (payload[i] as number) ^ (maskKey[i & 3] as number);
      }
      this.#buffer = b.subarray(offset + length);

      if (opcode === 0x8) {
        this.#socket.end();
        return;
      }
      if (opcode === 0x9) this.#write(0xa, payload);
      if (opcode === 0x1 || opcode === 0x0) {
        this.#fragments.push(payload);
        if (fin) {
          const text = Buffer.concat(this.#fragments).toString('utf8');
          this.#fragments = [];
          this.#dispatch(JSON.parse(text));
        }
      }
    }
  }

  #dispatch(message: {
    id?: number;
    result?: Json;
    error?: { message: string };
    method?: string;
    params?: Json;
    sessionId?: string;
  }): void {
    if (message.id !== undefined) {
      const pending = this.#pending.get(message.id);
      if (!pending) return;
      this.#pending.delete(message.id);
      if (message.error) pending.reject(new Error(`${pending.method}: ${message.error.message}`));
      else pending.resolve(message.result ?? {});
      return;
    }
    if (!message.method) return;
    for (const listener of this.#listeners.get(message.method) ?? []) {
      listener(message.params ?? {}, message.sessionId);
    }
  }

  #fail(err: Error): void {
    this.#closed = true;
    for (const { reject } of this.#pending.values()) reject(err);
    this.#pending.clear();
  }
}

/** A Chromium started by hand, with its DevTools endpoint and everything it wrote to stderr. */
export interface RawChromium {
  process: ChildProcess;
  cdp: CdpConnection;
  /** Lines Chromium wrote to stderr so far (with `--enable-logging=stderr`, its log). */
  readonly stderr: readonly string[];
  /** Closes the browser, and kills its process group if it does not go. */
  close(): Promise<void>;
}

/**
 * Starts headless Chromium with `--remote-debugging-port=0` and a profile in `userDataDir`, reads
 * the `DevTools listening on ws://…` line from its stderr and connects to it.
 */
export async function launchRawChromium(userDataDir: string, extraArgs: string[] = []): Promise<RawChromium> {
  const child = spawn(
    CHROMIUM,
    [
      '--headless',
      '--remote-debugging-port=0',
      `--user-data-dir=${userDataDir}`,
      ...CHROMIUM_ARGS,
      ...extraArgs,
      'about:blank',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], detached: true },
  );
  const stderr: string[] = [];
  let partial = '';
  const wsUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no DevTools endpoint:\n${stderr.join('\n')}`)), 30_000);
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        stderr.push(line);
        const found = /DevTools listening on (ws:\/\/\S+)/.exec(line);
        if (found?.[1]) {
          clearTimeout(timer);
          resolve(found[1]);
        }
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Chromium exited (${code}):\n${stderr.join('\n')}`));
    });
  });
  const cdp = await CdpConnection.connect(wsUrl);
  const killGroup = () => {
    try {
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    } catch {}
  };
  return {
    process: child,
    cdp,
    stderr,
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      await cdp.send('Browser.close').catch(() => {});
      cdp.close();
      const timer = setTimeout(killGroup, 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** A page target attached over a flattened session: navigation, script and file input. */
export class RawPage {
  constructor(
    readonly cdp: CdpConnection,
    readonly sessionId: string,
  ) {}

  /** Opens a new tab and attaches to it, and to it only. */
  static async open(cdp: CdpConnection): Promise<RawPage> {
    const { targetId } = await cdp.send<{ targetId: string }>('Target.createTarget', { url: 'about:blank' });
    const { sessionId } = await cdp.send<{ sessionId: string }>('Target.attachToTarget', {
      targetId,
      flatten: true,
    });
    return new RawPage(cdp, sessionId);
  }

  send<T = Json>(method: string, params: Json = {}): Promise<T> {
    return this.cdp.send<T>(method, params, this.sessionId);
  }

  async goto(url: string): Promise<void> {
    const { errorText } = await this.send<{ errorText?: string }>('Page.navigate', { url });
    if (errorText) throw new Error(`navigation to ${url} failed: ${errorText}`);
  }

  /** Evaluates `expression` in the page (awaiting a returned promise) and returns its JSON value. */
  async evaluate<T>(expression: string): Promise<T> {
    const { result, exceptionDetails } = await this.send<{
      result: { value?: T };
      exceptionDetails?: { text: string; exception?: { description?: string } };
    }>('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true });
    if (exceptionDetails) {
      throw new Error(exceptionDetails.exception?.description ?? exceptionDetails.text);
    }
    return result.value as T;
  }

  /** Polls `expression` until it is truthy; errors while the page navigates count as not yet. */
  async waitUntil(expression: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const ok = await this.evaluate<boolean>(`Boolean(${expression})`).catch(() => false);
      if (ok) return;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${expression}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Picks `paths` in the file input matched by `selector`, as a user choosing files would. */
  async setInputFiles(selector: string, paths: string[]): Promise<void> {
    const { result } = await this.send<{ result: { objectId?: string } }>('Runtime.evaluate', {
      expression: `document.querySelector(${JSON.stringify(selector)})`,
    });
    if (!result.objectId) throw new Error(`no element ${selector}`);
    await this.send('DOM.setFileInputFiles', { files: paths, objectId: result.objectId });
  }
}
