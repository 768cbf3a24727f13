// Hono's route templates through its public surface: a middleware that, once the app has answered,
// reads the template of the handler that did (`c.req.routePath`) and the error Hono caught (`c.error`).
import { stateOf } from '../request-state.ts';
import { noteRoute } from './note-route.ts';

/** One of `c.req.matchedRoutes`: `method` is `ALL` for `app.use` and `app.all`. */
interface HonoRoute {
  method?: string;
  path?: string;
  handler?: unknown;
}

/** The little of Hono's Context read here. Declared locally: Hono is an optional peer. */
interface HonoContext {
  req: { raw: Request; routePath?: string; routeIndex?: number; matchedRoutes?: ReadonlyArray<HonoRoute> };
  error?: unknown;
}

/**
 * Notes the template of the Hono route that answered, once the app has: `c.req.routePath` names the
 * last handler Hono ran. A wildcard (`/files/*`) is a template too when Hono shows that handler
 * answered, as the preload names the handler that returned the Response: one registered for a method
 * (`app.get`), or one a later matched handler never followed (it did not call next). `app.use` or
 * `app.all` last in line may have passed on to the 404; its wildcard is left to the normaliser.
 * One that answered before the route ran is named by that route (honoRouteAhead).
 */
export function noteHonoRoute(c: HonoContext, request: Request, error?: unknown): void {
  const { routePath, routeIndex, matchedRoutes } = c.req;
  const answered = typeof routeIndex === 'number' && Array.isArray(matchedRoutes) && (matchedRoutes[routeIndex]?.method !== 'ALL' || routeIndex < matchedRoutes.length - 1);
  noteRoute(request, (answered ? routeAhead(matchedRoutes, routeIndex) : undefined) ?? routePath, error, answered);
}

/**
 * When `app.use` middleware answered before the route ran (a rate limit's 429, an auth 401), the
 * route the request would have reached: one name per middleware pattern (`/*`) would hide which
 * route was refused. Hono matched only the request method's routes besides `ALL` ones, in
 * registration order. The first that is not a wildcard is the route (an `app.all('/all/:id')` too);
 * failing one, the first wildcard route whose handler takes no `next` (it cannot pass on), failing
 * that the last, as a method's own middleware (`app.get('/api/*', auth)`) comes before its routes.
 * Undefined when what answered is a route itself.
 */
export function honoRouteAhead(c: Pick<HonoContext, 'req'>): string | undefined {
  const { routeIndex, matchedRoutes } = c.req;
  return typeof routeIndex === 'number' && Array.isArray(matchedRoutes) ? routeAhead(matchedRoutes, routeIndex) : undefined;
}

function routeAhead(routes: ReadonlyArray<HonoRoute>, index: number): string | undefined {
  const own = routes[index];
  if (own === undefined || !isMiddleware(own)) return undefined;
  let answers: string | undefined;
  let last: string | undefined;
  for (let i = index + 1; i < routes.length; i++) {
    const route = routes[i];
    const path = route?.path;
    if (route === undefined || typeof path !== 'string' || isMiddleware(route)) continue;
    if (!path.endsWith('*')) return path;
    if (typeof route.handler === 'function' && route.handler.length < 2) answers ??= path;
    last = path;
  }
  return answers ?? last;
}

/**
 * Hono registers `app.use` and `app.all` both as method `ALL`: middleware is the one on a wildcard
 * pattern (`*`, `/api/*`) or whose handler takes `next`; `app.all('/all/:id', (c) => …)` is a route.
 */
function isMiddleware({ method, path, handler }: HonoRoute): boolean {
  return method === 'ALL' && (typeof path !== 'string' || path.endsWith('*') || typeof handler !== 'function' || handler.length >= 2);
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
