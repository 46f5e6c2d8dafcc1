import type http from 'node:http';

/** The open requests of each device, so that revoking a device cuts all of them at once. */
export class DeviceRequests {
  private readonly open = new Map<string, Set<http.IncomingMessage>>();

  /** Counts `req` as open for `deviceId` until its response closes. */
  track(deviceId: string, req: http.IncomingMessage, res: http.ServerResponse): void {
    const set = this.open.get(deviceId) ?? new Set();
    set.add(req);
    this.open.set(deviceId, set);
    res.once('close', () => {
      set.delete(req);
      if (!set.size && this.open.get(deviceId) === set) this.open.delete(deviceId);
    });
  }

  /** Devices with at least one open request. */
  devices(): string[] {
    return [...this.open.keys()];
  }

  /** Destroys the connection of every open request of `deviceId`; returns how many were cut. */
  cut(deviceId: string): number {
    const set = this.open.get(deviceId);
    if (!set) return 0;
    this.open.delete(deviceId);
    for (const req of set) req.socket.destroy();
    return set.size;
  }
}
