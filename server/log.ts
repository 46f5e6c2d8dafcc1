/** Writes one structured log line; `fields` are merged into the JSON object. */
export type Logger = (
  level: 'info' | 'warn' | 'error',
  msg: string,
  fields?: Record<string, unknown>,
) => void;

/** One JSON object per line on stdout, for journald / docker logs. */
export const jsonLogger: Logger = (level, msg, fields) => {
  process.stdout.write(`${JSON.stringify({ level, msg, time: new Date().toISOString(), ...fields })}\n`);
};

/** Discards everything (tests). */
export const silentLogger: Logger = () => {};
