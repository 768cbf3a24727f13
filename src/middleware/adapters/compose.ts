// Runs `(req, next)` middlewares in order around a final handler: what a router's use() does.
import type { EnhancedRequest, Middleware, NextFunction } from '../types.ts';

/**
 * @example
 * const run = compose([performanceMonitor(), requestTracer()], (req) => new Response('ok'));
 * await run(new Request('http://localhost/'));
 */
export function compose(middlewares: readonly Middleware[], handler: (req: EnhancedRequest) => Response | Promise<Response>): (req: EnhancedRequest) => Promise<Response> {
  return function composed(req: EnhancedRequest): Promise<Response> {
    const dispatch = async (index: number): Promise<Response> => {
      const middleware = middlewares[index];
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
