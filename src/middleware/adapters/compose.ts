// Runs `(req, next)` middlewares in order around a final handler: what a router's use() does.
import type { EnhancedRequest, Middleware, NextFunction } from '../types.ts';

/**
 * @example
 * const run = compose([performanceMonitor(), requestTracer()], (req) => new Response('ok'));
 * await run(new Request('http://localhost/'));
 */
export function compose(middlewares: readonly MiddlewareLike[], handler: (req: EnhancedRequest) => Response | Promise<Response>): (req: EnhancedRequest) => Promise<Response> {
  const chain = middlewares.map(asMiddleware);
  return function composed(req: EnhancedRequest): Promise<Response> {
    const dispatch = async (index: number): Promise<Response> => {
      const middleware = chain[index];
      if (middleware === undefined) return handler(req);
      let called = false;
      const next: NextFunction = () => {
        if (called) throw new Error('next() called twice by one middleware');
        called = true;
        return dispatch(index + 1);
      };
      return middleware(req, next);
    };
    return dispatch(0);
  };
}

/** A middleware, or an instance of the classes (`new PerformanceMonitor()`), whose `handle` is one. */
export type MiddlewareLike = Middleware | { handle: Middleware };

/** Refused where the chain is made, not on every request after. */
export function asMiddleware(middleware: MiddlewareLike, index: number): Middleware {
  if (typeof middleware === 'function') return middleware;
  if (typeof middleware?.handle === 'function') return middleware.handle.bind(middleware);
  throw new TypeError(`middleware ${index} is not a (req, next) function nor an object with a handle(req, next) method`);
}
