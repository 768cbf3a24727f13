// The Hono adapter: any `(req, next)` middleware as Hono middleware. Handlers read the tracer's ids
// from `c.get('traceId')` / `c.get('spanId')` (also on `c.req.raw`).
import { noteHonoRoute } from '../../plugin/runtime/routers/hono-routes.ts';
import type { EnhancedRequest } from '../types.ts';
import { asMiddleware, type MiddlewareLike } from './compose.ts';

/** The little of Hono's Context used here. Declared locally: Hono is an optional peer, and an app without it must still type-check this file. */
interface HonoContext {
  req: { raw: Request; routePath?: string; routeIndex?: number; matchedRoutes?: ReadonlyArray<{ method?: string }> };
  res: Response;
  set(key: 'traceId' | 'spanId', value: string): void;
}

/**
 * Hono's MiddlewareHandler for any app's Env. The context is taken as `any` on purpose: naming Hono's
 * `Context` needs Hono's types installed, and a structural type cannot match every app's `c.set`.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type HonoMiddleware = (c: any, next: () => Promise<void>) => Promise<void>;

/**
 * What the adapter sets on Hono's context: type the app with it to read them with `c.get`
 * (`new Hono<{ Variables: HonoTraceVariables }>()`; an untyped app's `c.get('spanId')` is an error in tsc).
 */
export interface HonoTraceVariables {
  traceId?: string;
  spanId?: string;
}

/**
 * @example
 * const tracer = requestTracer({ sampleRate: 1 });
 * const app = new Hono<{ Variables: HonoTraceVariables }>();
 * app.use(honoMiddleware(performanceMonitor()), honoMiddleware(tracer));
 * app.get('/users/:id', (c) => { const span = tracer.createChildSpan(c.get('spanId') ?? '', 'db'); … });
 */
export function honoMiddleware(given: MiddlewareLike): HonoMiddleware {
  const middleware = asMiddleware(given, 0);
  return async function bunApmHono(context, next) {
    const c = context as HonoContext;
    const req = c.req.raw as EnhancedRequest;
    const response = await middleware(req, async () => {
      if (req.traceId !== undefined) c.set('traceId', req.traceId);
      if (req.spanId !== undefined) c.set('spanId', req.spanId);
      await next();
      try {
        // Hono's template of the handler that answered (`/users/:id`), so cells are keyed by route, not path.
        noteHonoRoute(c, req);
      } catch {
        // no route information: the path is normalised instead
      }
      return c.res;
    });
    if (response !== c.res) c.res = response;
  };
}
