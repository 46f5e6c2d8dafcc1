import { createHash, type Hash } from 'node:crypto';
import { Worker } from 'node:worker_threads';

/** Algorithms the server hashes uploads with. */
export type HashAlgorithm = 'sha1' | 'sha256';

/**
 * A hash fed a stream of bytes whose digest may be computed elsewhere: `update` and `copy` return
 * at once and keep their order; only `digest` waits. A hash nobody will digest is `dispose`d.
 */
export interface StreamHash {
  update(chunk: Uint8Array): void;
  /** A new hash in the state this one has now; both go on independently. */
  copy(): StreamHash;
  /** The digest of every byte fed so far; the hash is used up. */
  digest(): Promise<Buffer>;
  dispose(): void;
  /** Hands over the bytes held back for batching, before the hash waits for its next bytes. */
  park(): void;
}

/** Where hashes are computed. */
export interface Hashing {
  create(algorithm: HashAlgorithm): StreamHash;
  /** Resolves once the bytes waiting to be hashed are few enough to feed more; undefined if they are. */
  backlog(): Promise<void> | undefined;
  close(): Promise<void>;
}

/** Hashes on the calling thread (node:crypto): the same interface with no thread behind it. */
export const localHashing: Hashing = {
  create: (algorithm) => local(createHash(algorithm)),
  backlog: () => undefined,
  close: async () => {},
};

function local(hash: Hash): StreamHash {
  return {
    update: (chunk) => void hash.update(chunk),
    copy: () => local(hash.copy()),
    digest: async () => hash.digest(),
    dispose: () => {},
    park: () => {},
  };
}

// Bytes are copied into staging buffers of this size and handed to the thread whole (transferred):
// small enough that a hundred slow uploads, each with a partly filled one, hold little memory.
const STAGE_BYTES = 256 * 1024;
// More than this many bytes handed over and not yet hashed holds the writers back, until the thread
// is down to half of it.
const BACKLOG_BYTES = 4 * 1024 * 1024;
// Staging buffers come back from the thread and are used again (no allocation and page faults per
// buffer); at most this many wait to be reused.
const SPARE_STAGES = 32;

// The thread: one node:crypto hash per id, in the order the messages come. Plain JavaScript run by
// `eval`, so the same code serves the compiled server and the TypeScript sources under test.
const THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
// On Linux a nice value belongs to the calling thread (elsewhere it would be the whole process).
if (workerData.nice && process.platform === 'linux') require('node:os').setPriority(0, workerData.nice);
const hashes = new Map();
parentPort.on('message', ([op, id, a, b]) => {
  if (op === 'new') hashes.set(id, createHash(a));
  else if (op === 'data') {
    hashes.get(id).update(new Uint8Array(a, 0, b));
    parentPort.postMessage(['done', b, a], [a]);
  } else if (op === 'copy') hashes.set(a, hashes.get(id).copy());
  else if (op === 'free') hashes.delete(id);
  else if (op === 'digest') {
    const digest = hashes.get(id).digest();
    hashes.delete(id);
    const bytes = digest.buffer.slice(digest.byteOffset, digest.byteOffset + digest.length);
    parentPort.postMessage(['digest', a, bytes], [bytes]);
  }
});
`;

type Message = ['done', number, ArrayBuffer] | ['digest', number, ArrayBuffer];

/** How a hashing thread shares the machine. */
export type HashThreadOptions = {
  /** Bytes handed over and not yet hashed past which writers are held back, until down to half. */
  backlogBytes?: number;
  /** A nice value for the thread (Linux only): it then takes what CPU the rest of the server leaves. */
  nice?: number;
};

/**
 * Hashes on a worker thread of its own, so SHA-256 over every received byte (about 0.9 s of CPU per
 * GiB and hash) runs beside receiving and writing instead of between them. The thread starts on
 * the first hash and does not keep the process alive; if it dies, the digests it owed reject and
 * the next hash starts another.
 */
export class HashThread implements Hashing {
  private readonly backlogBytes: number;
  private readonly nice: number;
  private worker: Worker | undefined;
  private generation = 0;
  private nextId = 1;
  private inFlight = 0;
  private readonly digests = new Map<number, { resolve(d: Buffer): void; reject(e: Error): void }>();
  private waiters: (() => void)[] = [];
  private readonly spare: ArrayBuffer[] = [];
  private readonly unused = new FinalizationRegistry<{ generation: number; id: number }>((held) =>
    this.post(held.generation, ['free', held.id]),
  );

  constructor({ backlogBytes = BACKLOG_BYTES, nice = 0 }: HashThreadOptions = {}) {
    this.backlogBytes = backlogBytes;
    this.nice = nice;
  }

  create(algorithm: HashAlgorithm): StreamHash {
    const id = this.nextId++;
    this.post(this.start(), ['new', id, algorithm]);
    return this.handle(this.generation, id);
  }

  backlog(): Promise<void> | undefined {
    if (this.inFlight <= this.backlogBytes) return undefined;
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await worker.terminate();
  }

  private start(): number {
    if (this.worker) return this.generation;
    const generation = ++this.generation;
    const worker = new Worker(THREAD_SOURCE, { eval: true, workerData: { nice: this.nice } });
    worker.unref();
    worker.on('message', (message: Message) => {
      if (message[0] === 'done') {
        this.inFlight -= message[1];
        if (this.spare.length < SPARE_STAGES) this.spare.push(message[2]);
        if (this.inFlight <= this.backlogBytes / 2) this.release();
      } else {
        const pending = this.digests.get(message[1]);
        this.digests.delete(message[1]);
        pending?.resolve(Buffer.from(message[2]));
      }
    });
    const lost = (why: Error) => {
      if (this.generation !== generation) return;
      this.worker = undefined;
      this.generation++;
      this.inFlight = 0;
      this.release();
      for (const pending of this.digests.values()) pending.reject(why);
      this.digests.clear();
    };
    worker.on('error', (error) => lost(new Error(`hashing thread failed: ${error.message}`)));
    worker.on('exit', (code) => lost(new Error(`hashing thread exited (${code})`)));
    this.worker = worker;
    return generation;
  }

  private stage(): Buffer {
    const spare = this.spare.pop();
    return spare ? Buffer.from(spare) : Buffer.allocUnsafeSlow(STAGE_BYTES);
  }

  private release(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  // Messages for a thread that is gone are dropped: its hashes are lost, and their digests reject.
  private post(generation: number, message: unknown[], transfer?: ArrayBuffer[]): boolean {
    if (generation !== this.generation || !this.worker) return false;
    this.worker.postMessage(message, transfer);
    return true;
  }

  private handle(generation: number, id: number): StreamHash {
    const thread = this;
    let stage: Buffer | undefined;
    let filled = 0;
    let used = false;
    const flush = () => {
      if (!stage || filled === 0) return;
      const bytes = stage.buffer as ArrayBuffer;
      if (thread.post(generation, ['data', id, bytes, filled], [bytes])) thread.inFlight += filled;
      stage = undefined;
      filled = 0;
    };
    const token = { generation, id };
    const hash: StreamHash = {
      update(chunk) {
        if (used) throw new Error('hash already digested');
        let at = 0;
        while (at < chunk.length) {
          stage ??= thread.stage();
          const n = Math.min(chunk.length - at, STAGE_BYTES - filled);
          stage.set(chunk.subarray(at, at + n), filled);
          filled += n;
          at += n;
          if (filled === STAGE_BYTES) flush();
        }
      },
      copy() {
        flush();
        const copyId = thread.nextId++;
        thread.post(generation, ['copy', id, copyId]);
        return thread.handle(generation, copyId);
      },
      digest() {
        if (used) return Promise.reject(new Error('hash already digested'));
        used = true;
        thread.unused.unregister(token);
        flush();
        const request = thread.nextId++;
        return new Promise<Buffer>((resolve, reject) => {
          if (!thread.post(generation, ['digest', id, request]))
            return reject(new Error('hashing thread was restarted; the hash is lost'));
          thread.digests.set(request, { resolve, reject });
        });
      },
      park: flush,
      dispose() {
        if (used) return;
        used = true;
        thread.unused.unregister(token);
        stage = undefined;
        thread.post(generation, ['free', id]);
      },
    };
    this.unused.register(hash, token, token);
    return hash;
  }
}

let shared: HashThread | undefined;
let background: HashThread | undefined;

/** The process's thread for digests awaited before an answer (a chunk's checksum), started with its first hash. */
export function sharedHashThread(): HashThread {
  shared ??= new HashThread();
  return shared;
}

/**
 * The process's thread for digests wanted only later (a whole file's, at its last byte). It runs at
 * a lower priority and may fall 16 MiB behind, so it gives way while bodies arrive and catches up
 * while each request is acknowledged (fsync, records), when the machine has CPU to spare.
 */
export function backgroundHashThread(): HashThread {
  background ??= new HashThread({ backlogBytes: 16 * 1024 * 1024, nice: 10 });
  return background;
}
