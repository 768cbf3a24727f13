// The plain Bun.serve adapter: wraps a fetch handler in middlewares.
import { noteServer, serverOf } from '../answer-status.ts';
import type { EnhancedRequest } from '../types.ts';
import { compose, type MiddlewareLike } from './compose.ts';

/**
 * Wraps a `fetch(req, server)` handler so every request runs through the middlewares first.
 *
 * @example
 * const monitor = performanceMonitor({ sampleRate: 0.1 });
 * const tracer = requestTracer({ sampleRate: 0.05 });
 * Bun.serve({ fetch: instrument((req) => new Response(`trace ${req.traceId}`), monitor, tracer) });
 */
export function instrument<S = unknown>(
  handler: (req: EnhancedRequest, server: S) => Response | Promise<Response>,
  ...middlewares: MiddlewareLike[]
): (req: Request, server: S) => Promise<Response> {
  const chain = compose(middlewares, (r) => handler(r, serverOf(r) as S));
  return function instrumented(req: Request, server: S): Promise<Response> {
    noteServer(req, server);
    return chain(req as EnhancedRequest);
  };
}
