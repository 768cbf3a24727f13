// Bun's refusal of a body longer than the server's `maxRequestBodySize`, sent without a length
// (chunked): the handler's read of the body rejects, and Bun answers 413 itself, calling no error
// handler. Counted as the 413 the client got, not as the app's 500 (a review). Bun names it by its
// message alone (a plain Error, no code), checked against Bun 1.4.5 by test/plugin/error-answers.test.ts.
const MESSAGE = 'Request body exceeded maxRequestBodySize';

export function bodyOverLimit(error: unknown): boolean {
  return error instanceof Error && error.message === MESSAGE;
}
