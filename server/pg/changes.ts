import pg from 'pg';
import { CHANGES_CHANNEL } from './schema.ts';

/** How to reach the database, and which schema's changes matter. */
export type ChangesOptions = {
  connection: pg.ClientConfig;
  schema: string;
  /** Wait before reconnecting after the listening connection is lost (default 1000 ms). */
  retryMs?: number;
  /** Told when the listening connection fails; it is retried regardless. */
  onError?: (error: Error) => void;
};

/** The listening connection's application_name, as pg_stat_activity shows it. */
export const WATCH_APPLICATION = 'tender-changes';

/** A running watch: `listening` resolves once notifications are being received. */
export type ChangesWatch = { listening: Promise<void>; stop(): Promise<void> };

/**
 * Calls `onChange` when any process (the operator's CLI, another instance's admin API) commits a
 * revocation or a drop request: the database's triggers NOTIFY on commit and this holds one connection
 * that LISTENs. Notifications sent while that connection was down are lost, so `onChange` is also
 * called on every reconnection, to catch up. `listening` settles once the first LISTEN is in place.
 *
 * LISTEN rather than polling: a change reaches every instance within milliseconds, an idle fleet
 * costs the database nothing, and no writer has to remember to bump a version.
 */
export function watchChanges(options: ChangesOptions, onChange: () => void): ChangesWatch {
  const retryMs = options.retryMs ?? 1000;
  let stopped = false;
  let client: pg.Client | undefined;
  let timer: NodeJS.Timeout | undefined;
  let listening = () => {};

  const connect = async (catchUp: boolean) => {
    const c = new pg.Client({ ...options.connection, application_name: WATCH_APPLICATION });
    client = c;
    const lost = (error: Error) => {
      if (client !== c) return;
      client = undefined;
      c.end().catch(() => {});
      if (stopped) return;
      options.onError?.(error);
      timer = setTimeout(() => void connect(true), retryMs);
      timer.unref();
    };
    c.on('error', lost);
    c.on('end', () => lost(new Error('the listening connection to PostgreSQL closed')));
    c.on('notification', (message) => {
      if (message.channel === CHANGES_CHANNEL && message.payload === options.schema) onChange();
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${CHANGES_CHANNEL}`);
    } catch (error) {
      lost(error as Error);
      return;
    }
    listening();
    if (catchUp && !stopped) onChange();
  };
  const ready = new Promise<void>((resolve) => {
    listening = resolve;
  });
  const first = connect(false);

  return {
    listening: ready,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await first;
      const c = client;
      client = undefined;
      await c?.end().catch(() => {});
    },
  };
}
