// Wrappers for the handlers a router registers, so the route template it matched reaches the
// recorder. Patched router modules call them through the registry (preload/router-hooks.ts), the
// bun-router wrapper directly (bun-router-routes.ts); they must never change what a handler
// receives, returns or throws.
import { running, stateOf, type RequestState } from '../request-state.ts';
import { honoRouteAhead } from './hono-routes.ts';
import { noteCaught, underParameter } from './note-route.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Handler = (this: any, context: any, next?: any) => unknown;
/** The little of Hono's Context read here. */
type HonoContext = { req?: { raw?: unknown } };

/** bun-router calls `handler(ctx)` with `ctx.request` the Request Bun.serve gave it. */
export function wrapBunRouterHandler(handler: unknown, pattern: unknown): unknown {
  if (typeof handler !== 'function' || typeof pattern !== 'string') return handler;
  const original = handler as Handler;
  running.routers = true;
  return function bunRouterRoute(this: unknown, context: { request?: Request }, ...rest: unknown[]): unknown {
    const request = context?.request;
    const state = request instanceof Request ? stateOf(request) : undefined;
    if (state !== undefined) state.routerRoute = pattern;
    return original.call(this, context, ...rest);
  };
}

/**
 * Hono calls `handler(c, next)` for middleware and routes alike. The template kept is that of the
 * handler whose result is the Response (Hono's "respond from here"), so middleware on `*` that
 * only calls next() never names the route; a handler that throws is remembered for the error response.
 */
export function wrapHonoHandler(handler: unknown, path: unknown, method?: unknown): unknown {
  if (typeof handler !== 'function' || typeof path !== 'string') return handler;
  const original = handler as Handler;
  running.routers = true;
  // app.use/app.all middleware that answers names the route it kept the request from (a 429, a 401).
  const named = method === 'ALL' ? (c: HonoContext) => honoRouteAheadOf(c) ?? path : () => path;
  return function honoRoute(this: unknown, c: HonoContext, next: unknown): unknown {
    let raw: unknown;
    try {
      raw = c?.req?.raw;
    } catch {
      raw = undefined;
    }
    const state = raw instanceof Request ? stateOf(raw) : undefined;
    if (state === undefined) return original.call(this, c, next);
    let result: unknown;
    try {
      result = original.call(this, c, next);
    } catch (error) {
      noteError(state, named(c), error);
      throw error;
    }
    if (result instanceof Promise) return settleHono(result, raw as Request, c, named);
    if (result instanceof Response) state.routerRoute ??= named(c);
    return result;
  };
}

/**
 * Out of honoRoute so that its closures don't make every call of it allocate a scope (see
 * runInScope). It keeps the Request, not the state: by the time the promise settles, the state the
 * request had while its handler ran synchronously (a reusable one) has been copied out.
 */
function settleHono(result: Promise<unknown>, request: Request, c: HonoContext, named: (c: HonoContext) => string): Promise<unknown> {
  return result.then(
    (value: unknown) => {
      const state = stateOf(request);
      if (state !== undefined) {
        if (value instanceof Response) state.routerRoute ??= named(c);
        // Middleware under a parameter that passed on to no route (Hono's 404): its wildcard, not
        // one route per tenant. A route that answered or threw has named the request first.
        else if (value === undefined && state.routerRoute === undefined && state.erroredRoute === undefined) {
          const path = named(c);
          if (underParameter(path)) state.routerRoute = path;
        }
      }
      return value;
    },
    (error: unknown) => {
      const state = stateOf(request);
      // Middleware that refuses by throwing (bearerAuth's 401, an HTTPException) names the route it kept the request from.
      if (state !== undefined) noteError(state, named(c), error);
      throw error;
    },
  );
}

function noteError(state: RequestState, path: string, error: unknown): void {
  state.erroredRoute ??= path;
  noteCaught(state, error);
}

function honoRouteAheadOf(c: HonoContext): string | undefined {
  try {
    return honoRouteAhead(c as Parameters<typeof honoRouteAhead>[0]);
  } catch {
    return undefined;
  }
}
