/** A canned answer for the next `count` matching tus requests (test builds only). */
export type Fault = {
  method?: 'PATCH' | 'POST' | 'HEAD' | 'DELETE';
  status: number;
  count: number;
  headers?: Record<string, string>;
  body?: string;
};

const METHODS = new Set(['PATCH', 'POST', 'HEAD', 'DELETE']);

/** Queued faults, consumed in order by the requests they match. */
export class Faults {
  private queue: Fault[] = [];

  /** Validates and queues a fault; an Error's message says what is wrong with it. */
  add(input: unknown): Error | undefined {
    const f = input as Partial<Fault> | null;
    if (!f || typeof f !== 'object') return new Error('fault must be an object');
    if (f.method !== undefined && !METHODS.has(f.method))
      return new Error('method must be PATCH, POST, HEAD or DELETE');
    if (!Number.isInteger(f.status) || (f.status as number) < 200 || (f.status as number) > 599) {
      return new Error('status must be an HTTP status code');
    }
    if (!Number.isInteger(f.count) || (f.count as number) < 1)
      return new Error('count must be a positive integer');
    if (f.headers !== undefined && (typeof f.headers !== 'object' || f.headers === null)) {
      return new Error('headers must be an object');
    }
    if (f.body !== undefined && typeof f.body !== 'string') return new Error('body must be a string');
    this.queue.push({ ...(f as Fault) });
    return undefined;
  }

  /** The fault to answer a `method` request with, if one is queued; counts it down. */
  take(method: string): Fault | undefined {
    const fault = this.queue.find((f) => !f.method || f.method === method);
    if (!fault) return undefined;
    fault.count -= 1;
    if (fault.count <= 0) this.queue = this.queue.filter((f) => f !== fault);
    return fault;
  }

  /** Drops all queued faults. */
  clear(): void {
    this.queue = [];
  }
}
