/** Polls `probe` every `everyMs` until `ok` holds for its value, and returns that value; fails after `timeoutMs`. */
export async function pollUntil<T>(
  what: string,
  probe: () => Promise<T> | T,
  ok: (value: T) => boolean,
  { timeoutMs = 5000, everyMs = 2 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
