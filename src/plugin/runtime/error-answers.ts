// One server's failed requests waiting for its error handler, by the value thrown. Bun calls a
// server's error handler for that server's requests only, so each server has its own (one shared
// error thrown on two servers had given each request the other's answer); requests sharing one
// error (a rejected promise they all awaited) are handed out oldest first, as Bun calls the handler.
// An entry lives until its request is answered or, at the next macrotask, counted as Bun's 500.
import type { RequestState } from './request-state.ts';

export class ErrorAnswers {
  readonly #waiting = new Map<unknown, RequestState[]>();

  add(error: unknown, state: RequestState): void {
    const queue = this.#waiting.get(error);
    if (queue === undefined) this.#waiting.set(error, [state]);
    else queue.push(state);
  }

  /** The oldest request waiting with `error`, taken out. */
  take(error: unknown): RequestState | undefined {
    const state = this.#waiting.get(error)?.[0];
    if (state !== undefined) this.remove(error, state);
    return state;
  }

  /** Takes `state` out; false when it was not waiting (an error handler took it). */
  remove(error: unknown, state: RequestState): boolean {
    const queue = this.#waiting.get(error);
    const at = queue?.indexOf(state) ?? -1;
    if (at < 0) return false;
    queue!.splice(at, 1);
    if (queue!.length === 0) this.#waiting.delete(error);
    return true;
  }
}
