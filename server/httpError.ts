/** An error @tus/server turns into a response: `status_code` and a text `body`. */
export type TusError = { status_code: number; body: string };

/** Builds a TusError; the body is one line of plain text. */
export function tusError(status: number, message: string): TusError {
  return { status_code: status, body: `${message}\n` };
}
