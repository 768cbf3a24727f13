// Wraps one request handler (a Bun.serve fetch, a routes function) so that every call is recorded:
// the recorder makes the wrapper (Recorder.wrap); this file marks it, so nothing is wrapped twice.
import type { ErrorAnswers } from '../runtime/error-answers.ts';
import type { Recorder } from '../runtime/recorder.ts';
import { slot } from '../runtime/registry.ts';
import type { AnyHandler } from '../runtime/run-handler.ts';

/** Marks functions we made, so that wrapping twice (server.reload with the same options) is a no-op. */
export const WRAPPED: unique symbol = slot('wrapped', () => Symbol('bun-apm.wrapped')) as never;

export function isWrapped(fn: unknown): boolean {
  return typeof fn === 'function' && (fn as { [WRAPPED]?: boolean })[WRAPPED] === true;
}

/**
 * @example
 * const fetch = instrumentHandler(options.fetch, recorder); // no template: the router or the normaliser names the route
 * const route = instrumentHandler(handler, recorder, '/users/:id');
 */
export function instrumentHandler<H extends AnyHandler>(handler: H, recorder: Recorder, template?: string, answers?: ErrorAnswers): H {
  if (isWrapped(handler)) return handler;
  const instrumented = recorder.wrap(handler, template, answers);
  Object.defineProperty(instrumented, WRAPPED, { value: true });
  return instrumented as unknown as H;
}
