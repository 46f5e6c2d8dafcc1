/**
 * An error @tus/server turns into a response: `status_code` and a text `body`. `headers` are added
 * to that response by Tender's `onResponseError`; @tus/server itself ignores them.
 */
export type TusError = { status_code: number; body: string; headers?: Record<string, string> };

/** Builds a TusError; the body is one line of plain text. */
export function tusError(status: number, message: string, headers?: Record<string, string>): TusError {
  return { status_code: status, body: `${message}\n`, ...(headers && { headers }) };
}
