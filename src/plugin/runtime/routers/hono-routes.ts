// Hono's route templates through its public surface: a middleware that, once the app has answered,
// reads the template of the handler that did (`c.req.routePath`) and the error Hono caught (`c.error`).
import { stateOf } from '../request-state.ts';
import { noteRoute } from './note-route.ts';

/** The little of Hono's Context read here. Declared locally: Hono is an optional peer. */
interface HonoContext {
  req: { raw: Request; routePath?: string; routeIndex?: number; matchedRoutes?: ReadonlyArray<{ method?: string }> };
  error?: unknown;
}

/**
 * Notes the template of the Hono route that answered, once the app has: `c.req.routePath` names the
 * last handler Hono ran. A wildcard (`/files/*`) is a template too when Hono shows that handler
 * answered, as the preload names the handler that returned the Response: one registered for a method
 * (`app.get`), or one a later matched handler never followed (it did not call next). `app.use` or
 * `app.all` last in line may have passed on to the 404; its wildcard is left to the normaliser.
 */
export function noteHonoRoute(c: HonoContext, request: Request, error?: unknown): void {
  const { routePath, routeIndex, matchedRoutes } = c.req;
  const answered = typeof routeIndex === 'number' && Array.isArray(matchedRoutes) && (matchedRoutes[routeIndex]?.method !== 'ALL' || routeIndex < matchedRoutes.length - 1);
  noteRoute(request, routePath, error, answered);
}

/** Hono's MiddlewareHandler for any app's Env (the context as `any`, as in honoMiddleware). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type HonoRoutesMiddleware = (c: any, next: () => Promise<void>) => Promise<void>;

/**
 * Names each request by the Hono route that answered it, under the preload or the middleware.
 * Register it first, so that it sees every route.
 *
 * @example
 * const app = new Hono();
 * app.use(honoRoutes());
 * app.get('/users/:id', (c) => c.json(users.get(c.req.param('id'))));
 */
export function honoRoutes(): HonoRoutesMiddleware {
  return async function bunApmHonoRoutes(context, next) {
    const c = context as HonoContext;
    let request: Request | undefined;
    try {
      request = c.req.raw;
      // Looked up while the app's handler is still running synchronously: that keeps the preload's
      // state of the request findable after `await next()`.
      stateOf(request);
    } catch {
      request = undefined;
    }
    await next();
    if (request === undefined) return;
    try {
      noteHonoRoute(c, request, c.error);
    } catch {
      // no route information: the path is normalised instead
    }
  };
}
