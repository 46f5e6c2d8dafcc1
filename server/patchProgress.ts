/** Where an open PATCH's body has reached and when its last bytes arrived (ms since the epoch). */
export type Receiving = { received: number; at: number };

/**
 * Progress of the PATCHes being received, for /api/progress: the client's stall detector needs
 * when bytes stopped arriving. A shared implementation lets any server answer for a PATCH another
 * one is receiving; it may batch updates, as long as `read` lags by well under a second.
 */
export interface PatchProgress {
  /** The PATCH on `id` has received its body up to `received` bytes of the upload. */
  update(id: string, received: number): void;
  /** The PATCH on `id` has ended. */
  end(id: string): void;
  /** The open PATCH on `id`, if there is one. */
  read(id: string): Promise<Receiving | undefined>;
}

/** PATCH progress in this process's memory. */
export class MemoryPatchProgress implements PatchProgress {
  private readonly open = new Map<string, Receiving>();

  update(id: string, received: number): void {
    const entry = this.open.get(id);
    if (entry) {
      entry.received = received;
      entry.at = Date.now();
    } else {
      this.open.set(id, { received, at: Date.now() });
    }
  }

  end(id: string): void {
    this.open.delete(id);
  }

  async read(id: string): Promise<Receiving | undefined> {
    const entry = this.open.get(id);
    return entry && { ...entry };
  }
}
