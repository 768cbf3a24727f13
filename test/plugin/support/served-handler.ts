// The preload's wrapper of a handler called as Bun calls it: with the server, which Bun passes with
// every HTTP request. A call without one is the app's own `server.fetch(request)`, which is not
// counted (wrapped-handler.test.ts holds that case, through the wrapper itself).
import { instrumentHandler as wrap } from '../../../src/plugin/preload/instrument-handler.ts';

/** What Bun passes as the server, as far as the wrapper reads it. */
export const SERVER = { development: false };

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyHandler = (this: any, request: Request, server?: any) => unknown;

export function instrumentHandler<H extends AnyHandler>(...args: Parameters<typeof wrap<H>>): (this: unknown, request: Request, server?: unknown) => ReturnType<H> {
  const handler = wrap(...args);
  return function served(this: unknown, request: Request, server: unknown = SERVER) {
    return handler.call(this, request, server) as ReturnType<H>;
  };
}
