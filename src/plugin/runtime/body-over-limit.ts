// Bun's refusal of a body longer than the server's `maxRequestBodySize`, sent without a length
// (chunked): the handler's read of the body rejects, and Bun answers 413 itself, whatever the
// handler then throws or answers, calling no error handler. A handler that fails with it (or with
// an error wrapping it as its `cause`) is counted as the 413 the client got, not as the app's 500 (a
// review). Bun names it by its message alone (a plain Error, no code), checked against Bun 1.4.5 by
// test/plugin/body-over-limit.test.ts.
const MESSAGE = 'Request body exceeded maxRequestBodySize';
/** Causes followed at most: a wrapper's wrapper, and no further. */
const MAX_CAUSES = 4;

export function bodyOverLimit(error: unknown): boolean {
  for (let at = error, depth = 0; at instanceof Error && depth <= MAX_CAUSES; at = at.cause, depth++) {
    if (at.message === MESSAGE) return true;
  }
  return false;
}
