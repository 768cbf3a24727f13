// Elysia's route templates through its public surface, for apps whose Elysia does not reach Bun.serve's
// `routes` (served through `fetch: app.fetch`, or under the middleware): lifecycle hooks that read
// the template Elysia puts on every context (`route`, "path as registered to router").
import { stateOf } from '../request-state.ts';
import { noteRoute } from './note-route.ts';

/** The little of Elysia's app and context used here. Declared locally: Elysia is an optional peer. */
interface ElysiaContext {
  request?: unknown;
  route?: unknown;
  error?: unknown;
}
type Hook = (context: ElysiaContext) => void;
interface ElysiaApp {
  onRequest(handler: Hook): unknown;
  onAfterHandle(options: { as: 'global' }, handler: Hook): unknown;
  onError(options: { as: 'global' }, handler: Hook): unknown;
}

/**
 * The same app, its routes named by Elysia's templates (`/users/:id`). Call it before the routes
 * are declared: Elysia applies a hook to the routes declared after it.
 *
 * @example
 * const app = elysiaRoutes(new Elysia()).get('/users/:id', ({ params }) => params.id);
 * Bun.serve({ port: 3000, fetch: app.fetch });
 */
export function elysiaRoutes<A extends object>(app: A): A {
  const elysia = app as unknown as ElysiaApp;
  // Looked up while the app's handler still runs synchronously, so the preload keeps the state for later hooks.
  elysia.onRequest(function bunApmElysiaRequest({ request }) {
    if (request instanceof Request) stateOf(request);
  });
  elysia.onAfterHandle({ as: 'global' }, function bunApmElysiaRoute({ request, route }) {
    if (request instanceof Request) noteRoute(request, route, undefined, true);
  });
  elysia.onError({ as: 'global' }, function bunApmElysiaError({ request, route, error }) {
    if (request instanceof Request) noteRoute(request, route, error, true);
  });
  return app;
}
