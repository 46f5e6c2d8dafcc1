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

  /** A Stopper that aborts as soon as any of `parents` does (undefined ones are ignored). */
  static any(parents: readonly (SignalLike | undefined)[]): { stopper: Stopper; release: () => void } {
    const stopper = new Stopper();
    const onAbort = () => stopper.abort();
    const watched = parents.filter((p): p is SignalLike => p !== undefined);
    for (const parent of watched) {
      if (parent.aborted) stopper.abort();
      else parent.addEventListener('abort', onAbort);
    }
    const release = () => {
      for (const parent of watched) parent.removeEventListener('abort', onAbort);
    };
    return { stopper, release };
  }

  /** A Stopper that also aborts when `parent` does. */
  static follow(parent: SignalLike | undefined): { stopper: Stopper; release: () => void } {
    return Stopper.any([parent]);
  }
}
