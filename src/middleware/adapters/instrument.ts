// The plain Bun.serve adapter: wraps a fetch handler in middlewares.
import type { EnhancedRequest, Middleware } from '../types.ts';
import { compose } from './compose.ts';

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
  ...middlewares: Middleware[]
): (req: Request, server: S) => Promise<Response> {
  return function instrumented(req: Request, server: S): Promise<Response> {
    return compose(middlewares, (r) => handler(r, server))(req as EnhancedRequest);
  };
}
