import type { SignalLike } from './types.ts';

/** A minimal abort signal the core can create without AbortController (absent from its lib). */
export class Stopper implements SignalLike {
  #aborted = false;
  readonly #listeners = new Set<() => void>();

  get aborted(): boolean {
    return this.#aborted;
  }

  /** Aborts once; listeners run in the order they were added. */
  abort(): void {
    if (this.#aborted) return;
    this.#aborted = true;
    for (const listener of [...this.#listeners]) listener();
    this.#listeners.clear();
  }

  addEventListener(_type: 'abort', listener: () => void): void {
    if (!this.#aborted) this.#listeners.add(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    this.#listeners.delete(listener);
  }

  /** A Stopper that also aborts when `parent` does. */
  static follow(parent: SignalLike | undefined): { stopper: Stopper; release: () => void } {
    const stopper = new Stopper();
    if (!parent) return { stopper, release: () => {} };
    const onAbort = () => stopper.abort();
    if (parent.aborted) stopper.abort();
    else parent.addEventListener('abort', onAbort);
    return { stopper, release: () => parent.removeEventListener('abort', onAbort) };
  }
}
