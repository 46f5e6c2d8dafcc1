/**
 * A map that keeps at most `capacity` entries, dropping the least recently used first and handing
 * each dropped value to `onEvict` (e.g. to revoke an object URL).
 */
export class LruCache<K, V> {
  readonly #entries = new Map<K, V>();
  readonly #capacity: number;
  readonly #onEvict: (value: V, key: K) => void;

  /**
   * @param capacity entries kept (at least 1)
   * @param onEvict called with each value dropped, by eviction, `delete` or `clear`
   */
  constructor(capacity: number, onEvict: (value: V, key: K) => void = () => {}) {
    this.#capacity = Math.max(1, Math.floor(capacity));
    this.#onEvict = onEvict;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The value for `key`, which becomes the most recently used; undefined when absent. */
  get(key: K): V | undefined {
    if (!this.#entries.has(key)) return undefined;
    const value = this.#entries.get(key) as V;
    this.#entries.delete(key);
    this.#entries.set(key, value);
    return value;
  }

  /** Stores `value` as the most recently used, dropping the oldest entries beyond capacity. */
  set(key: K, value: V): void {
    const had = this.#entries.has(key);
    const replaced = this.#entries.get(key) as V;
    this.#entries.delete(key);
    this.#entries.set(key, value);
    if (had && replaced !== value) this.#onEvict(replaced, key);
    for (const [oldest, dropped] of this.#entries) {
      if (this.#entries.size <= this.#capacity) break;
      this.#entries.delete(oldest);
      this.#onEvict(dropped, oldest);
    }
  }

  /** Drops `key`, if present. */
  delete(key: K): void {
    if (!this.#entries.has(key)) return;
    const value = this.#entries.get(key) as V;
    this.#entries.delete(key);
    this.#onEvict(value, key);
  }

  /** Drops every entry. */
  clear(): void {
    for (const key of [...this.#entries.keys()]) this.delete(key);
  }
}
