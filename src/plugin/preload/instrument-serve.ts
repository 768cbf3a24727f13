// Instruments Bun.serve in all its forms: the fetch handler, the routes object (handler functions,
// static Responses, per-method objects), the error handler, and the same again on server.reload().
import type { Log } from '../runtime/log.ts';
import { instrumentHandler, isWrapped, WRAPPED } from './instrument-handler.ts';
import { instrumentNodeHttp } from './instrument-node-http.ts';
import type { AnyHandler } from '../runtime/run-handler.ts';
import type { Recorder } from '../runtime/recorder.ts';
import type { ServerWatch } from './shutdown.ts';
import { staticRouteHandler, type Fallback } from './static-route.ts';
import { ErrorAnswers } from '../runtime/error-answers.ts';

type Options = Record<string, unknown>;

/**
 * The keys that make an object a per-method route for Bun (1.4.5, by experiment): an object with one
 * of these as its own property is one, whatever else it holds; Bun routes these and ignores the rest.
 */
const BUN_ROUTE_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'CONNECT', 'TRACE'];
/** A method name as a client can send it (`PURGE`, `PROPFIND`): a per-method object's handlers under such keys are counted too, should Bun route them. */
const METHOD_KEY = /^[A-Z][A-Z-]*$/;

/**
 * Replaces Bun.serve with a version that instruments its options; returns the function that undoes
 * it. `onServe` runs before each server starts (the preload starts its timers on the first).
 */
export function instrumentServe(recorder: Recorder, log: Log, onServe?: (options: unknown) => void, watch?: ServerWatch): () => void {
  const bun = Bun as unknown as { serve: (...args: unknown[]) => unknown };
  const original = bun.serve;
  if (isWrapped(original)) return () => {};
  const serve = function serve(this: unknown, options: unknown, ...rest: unknown[]): unknown {
    try {
      onServe?.(options);
      // node:http's listen(): its requests reach the app through the server's emit, not a handler here.
      if (typeof (options as Options | undefined)?.onNodeHTTPRequest === 'function') instrumentNodeHttp(recorder);
    } catch (error) {
      log.warnOnce('on-serve', `could not start monitoring timers (${(error as Error).message})`);
    }
    const instrumented = instrumentOptions(options, recorder, log);
    let server: unknown;
    try {
      server = original.call(this, instrumented, ...rest);
    } catch (error) {
      // A refusal of the server itself (EADDRINUSE, EACCES) is the app's to see, pointing at its own call.
      if (instrumented === options || isSystemError(error)) throw asCallers(error, serve);
      // Bun refused what we made of options it might have accepted. A getter of a private field
      // (`get port() { return this.#port }`) throws when read through our copy: the options' values
      // as the app's object reads them, instrumented; else the app's own, unmonitored.
      try {
        server = original.call(this, instrumentOptions(valuesOf(options as object), recorder, log), ...rest);
        return patchServer(server, recorder, log, watch, partsOf(options), options);
      } catch {
        // the app's own options below, as the app would have had them
      }
      try {
        server = original.call(this, options, ...rest);
      } catch (own) {
        throw asCallers(own, serve);
      }
      log.warnOnce('serve-refused', `Bun.serve refused the instrumented options (${(error as Error).message}); this server runs unmonitored`);
      return server;
    }
    return patchServer(server, recorder, log, watch, partsOf(options), options);
  };
  Object.defineProperty(serve, WRAPPED, { value: true });
  bun.serve = serve;
  return () => {
    bun.serve = original;
  };
}

/** An error of the system (its `code` such as EADDRINUSE), not of the options' shape. */
function isSystemError(error: unknown): boolean {
  return typeof (error as { code?: unknown } | null)?.code === 'string' && (error as { syscall?: unknown }).syscall !== undefined;
}

/**
 * The error with its stack starting at the app's call: Bun's report of an uncaught error quotes the
 * top frame's source line, which was ~1 KB of this package's minified code (a review).
 */
function asCallers(error: unknown, wrapper: (...args: never[]) => unknown): unknown {
  if (error instanceof Error) Error.captureStackTrace(error, wrapper);
  return error;
}

/**
 * A copy of the options with instrumented handlers. The copy inherits from the app's object, so
 * anything Bun reads that we don't touch (port, tls, websocket, getters, class methods) is the app's own.
 */
export function instrumentOptions(options: unknown, recorder: Recorder, log: Log, reload?: ServerParts): unknown {
  if (typeof options !== 'object' || options === null) return options;
  try {
    const app = options as Options;
    const copy = Object.create(app) as Options;
    // On a reload, what the options leave out the server keeps (its fetch, its error handler).
    const parts = partsOf(app, reload);
    const fetch = app.fetch;
    if (typeof fetch === 'function') ownProperty(copy, 'fetch', instrumentHandler(fetch as AnyHandler, recorder, undefined, parts.answers));
    // Without a fetch, Bun answers what no route matches with an empty 404 itself: the same, counted.
    // Not on a reload, where Bun keeps the server's fetch (the app's, already instrumented, or ours).
    else if (isPlainObject(app.routes) && reload === undefined) ownProperty(copy, 'fetch', instrumentHandler(notFound, recorder, undefined, parts.answers));
    // Only a plain object is a routes table: a Hono app passed whole (`export default app`) has a
    // `routes` array of its own, which Bun ignores and so must we.
    if (isPlainObject(app.routes)) ownProperty(copy, 'routes', instrumentRoutes(app.routes, recorder, parts));
    if (isPlainObject(app.static)) ownProperty(copy, 'static', instrumentRoutes(app.static, recorder, parts));
    if (typeof app.error === 'function') ownProperty(copy, 'error', instrumentErrorHandler(app.error as AnyHandler, recorder, parts.answers!));
    if (typeof app.websocket === 'object' && app.websocket !== null) recorder.takesUpgrades();
    return copy;
  } catch (error) {
    log.warnOnce('serve-options', `could not instrument Bun.serve options (${(error as Error).message}); this server runs unmonitored`);
    return options;
  }
}

/**
 * Defined, not assigned: assignment to the copy fails where the app's object has the property
 * read-only (Object.freeze) or as a getter without a setter (a class's `get fetch()`).
 */
function ownProperty(copy: Options, key: string, value: unknown): void {
  Object.defineProperty(copy, key, { value, writable: true, enumerable: true, configurable: true });
}

export function instrumentRoutes(routes: Options, recorder: Recorder, parts: ServerParts = NO_PARTS): Options {
  const out: Options = {};
  for (const [template, value] of Object.entries(routes)) out[template] = instrumentRoute(template, value, recorder, parts);
  return out;
}

function instrumentRoute(template: string, value: unknown, recorder: Recorder, parts: ServerParts): unknown {
  const { fallback, answers } = parts;
  if (typeof value === 'function') return instrumentHandler(value as AnyHandler, recorder, template, answers);
  if (value instanceof Response) return instrumentHandler(staticRouteHandler(value, fallback), recorder, template, answers);
  // A bare Bun.file(…): served as Bun serves it, the file as it is now (a BunFile is a Blob with a path).
  if (value instanceof Blob && typeof (value as { name?: unknown }).name === 'string') return instrumentHandler(staticRouteHandler(new Response(value), fallback), recorder, template, answers);
  if (isPerMethod(value)) {
    // Its other methods fall through to the fetch handler (or Bun's 404): named by it there too.
    recorder.declareTemplate(template);
    // Own properties, enumerable or not, as Bun reads them; what is not a method's handler, as it is.
    const out: Options = {};
    for (const key of Object.getOwnPropertyNames(value)) {
      const handler = value[key];
      out[key] = METHOD_KEY.test(key) && isAnswer(handler) ? instrumentRoute(template, handler, recorder, parts) : handler;
    }
    return out;
  }
  return value; // HTML imports, { dir } routes, false: served by Bun itself, not counted
}

/** Every property of `options` and its prototypes (class getters and methods too), read from it. */
function valuesOf(options: object): Options {
  const values: Options = {};
  for (let source: object | null = options; source !== null && source !== Object.prototype; source = Object.getPrototypeOf(source)) {
    for (const key of Object.getOwnPropertyNames(source)) {
      if (key === 'constructor' || key in values) continue;
      try {
        values[key] = (options as Options)[key];
      } catch {
        // a getter that throws: left out, as Bun would have failed on it
      }
    }
  }
  return values;
}

/**
 * What one server's handlers share: the app's fetch, to which a file route whose file is missing
 * passes its request as Bun does (the app's own, not counted twice); and the failures its error
 * handler answers, none without one.
 */
interface ServerParts {
  fallback: Fallback | undefined;
  answers: ErrorAnswers | undefined;
}

const NO_PARTS: ServerParts = { fallback: undefined, answers: undefined };

/** One ErrorAnswers per app error handler, so that a reload with the same handler keeps its queue. */
const answersOfHandler = new WeakMap<object, ErrorAnswers>();

/** A server's parts from its options; where they leave one out, `kept` (a reload keeps the server's). */
function partsOf(options: unknown, kept: ServerParts = NO_PARTS): ServerParts {
  try {
    const { fetch, error } = (options ?? {}) as Options;
    let answers = kept.answers;
    if (typeof error === 'function') {
      answers = answersOfHandler.get(error);
      if (answers === undefined) answersOfHandler.set(error, (answers = new ErrorAnswers()));
    }
    return { fallback: typeof fetch === 'function' ? (fetch as Fallback) : kept.fallback, answers };
  } catch {
    return kept;
  }
}

function notFound(): Response {
  return new Response(null, { status: 404 });
}

function isPlainObject(value: unknown): value is Options {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * `{ GET: fn, PURGE: fn, POST: new Response(…) }`: an object that Bun takes for a per-method route,
 * by its rule (an own GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS, CONNECT or TRACE), and nothing else.
 */
function isPerMethod(value: unknown): value is Options {
  if (typeof value !== 'object' || value === null || value instanceof Response || value instanceof Blob) return false;
  return BUN_ROUTE_METHODS.some((method) => Object.hasOwn(value, method));
}

/** What a per-method object's method answers with: a handler, a static Response, a Bun.file. */
function isAnswer(value: unknown): boolean {
  return typeof value === 'function' || value instanceof Response || (value instanceof Blob && typeof (value as { name?: unknown }).name === 'string');
}

/**
 * The app's error handler, unchanged, except that the failed request is counted with the status it
 * answers (a throw, or anything but a Response, is Bun's 500) and its response gets the request's headers.
 */
function instrumentErrorHandler(handler: AnyHandler, recorder: Recorder, answers: ErrorAnswers): AnyHandler {
  if (isWrapped(handler)) return handler;
  const instrumented = function bunApmErrorHandler(this: unknown, error: unknown): unknown {
    // Taken out of the queue: it ends with this answer (answerError), not as Bun's 500.
    const state = answers.take(error);
    let result: unknown;
    try {
      result = handler.call(this, error);
    } catch (thrown) {
      if (state !== undefined) recorder.answerError(state, undefined);
      throw thrown;
    }
    if (state === undefined) return result;
    // Counted when it settles; Bun gets the app's own promise (a chained one had turned the 500 of
    // an async handler's undefined into a 200).
    if (result instanceof Promise) result.then((response: unknown) => recorder.answerError(state, response), () => recorder.answerError(state, undefined));
    else recorder.answerError(state, result);
    return result;
  };
  Object.defineProperty(instrumented, WRAPPED, { value: true });
  return instrumented;
}

/** A server of ours: what its reload() gets is instrumented too, its upgrade() is counted, its stop() told. */
function patchServer(server: unknown, recorder: Recorder, log: Log, watch: ServerWatch | undefined, parts: ServerParts, options: unknown): unknown {
  patchReload(server, recorder, log, parts, routeTables(options));
  patchUpgrade(server, recorder, log);
  if (watch) patchStop(server, watch, log);
  return server;
}

function patchStop(server: unknown, watch: ServerWatch, log: Log): void {
  try {
    const target = server as { stop?: (...args: unknown[]) => unknown };
    const stop = target.stop;
    if (typeof stop !== 'function') return;
    let live = true;
    target.stop = function stopWatched(...args: unknown[]) {
      if (live) watch.stopped();
      live = false;
      return stop.apply(server, args);
    };
    watch.started();
  } catch (error) {
    log.warnOnce('serve-stop', `could not watch server.stop (${(error as Error).message})`);
  }
}

/**
 * A request upgraded to a WebSocket is a 101 whatever its handler returns next: Elysia's answers a
 * 200 Response that Bun then ignores.
 */
function patchUpgrade(server: unknown, recorder: Recorder, log: Log): void {
  try {
    const target = server as { upgrade?: (request: unknown, options?: unknown) => unknown };
    const upgrade = target.upgrade;
    if (typeof upgrade !== 'function') return;
    target.upgrade = function upgradeInstrumented(request: unknown, options?: unknown) {
      const upgraded = upgrade.call(server, request, options);
      if (upgraded === true && request instanceof Request) recorder.upgraded(request);
      return upgraded;
    };
  } catch (error) {
    log.warnOnce('serve-upgrade', `could not instrument server.upgrade (${(error as Error).message})`);
  }
}

/**
 * `kept`: the server's parts as it was started, which a reload keeps where its options leave them
 * out; `tables`: the app's routes as the server holds them, for a reload that names none.
 */
function patchReload(server: unknown, recorder: Recorder, log: Log, kept: ServerParts, tables: RouteTables): void {
  try {
    const target = server as { reload?: (options: unknown) => unknown };
    const reload = target.reload;
    if (typeof reload !== 'function') return;
    target.reload = function reloadInstrumented(options: unknown) {
      const given = withRoutesBunKeeps(options, tables);
      const result = reload.call(server, instrumentOptions(given, recorder, log, kept));
      kept = partsOf(options, kept);
      tables = routeTables(given);
      return result;
    };
  } catch (error) {
    log.warnOnce('serve-reload', `could not instrument server.reload (${(error as Error).message})`);
  }
}

/** The app's own `routes` and `static` tables (plain objects only, as Bun reads them). */
interface RouteTables {
  routes?: Options | undefined;
  static?: Options | undefined;
}

function routeTables(options: unknown): RouteTables {
  try {
    const { routes, static: statics } = (options ?? {}) as Options;
    return { routes: isPlainObject(routes) ? routes : undefined, static: isPlainObject(statics) ? statics : undefined };
  } catch {
    return {};
  }
}

/**
 * A reload that names no `routes` keeps the server's handler routes and drops its static ones
 * (Responses, files, a per-method object's static methods; Bun 1.4.5, by experiment), `static`
 * alike. Under the preload those are handlers too, which Bun would keep serving: the reload is
 * given, as its own, the table Bun keeps. Options that name their tables are passed as they are.
 */
function withRoutesBunKeeps(options: unknown, tables: RouteTables): unknown {
  if (typeof options !== 'object' || options === null) return options;
  const own = routeTables(options);
  const routes = own.routes === undefined && tables.routes !== undefined ? handlerRoutes(tables.routes) : undefined;
  const statics = own.static === undefined && tables.static !== undefined ? handlerRoutes(tables.static) : undefined;
  if (routes === undefined && statics === undefined) return options;
  const given = Object.create(options) as Options;
  if (routes !== undefined) ownProperty(given, 'routes', routes);
  if (statics !== undefined) ownProperty(given, 'static', statics);
  return given;
}

/** The table's handler routes (a per-method object's handler methods), or undefined when it has nothing static to drop. */
function handlerRoutes(table: Options): Options | undefined {
  const kept: Options = {};
  let dropped = false;
  for (const [template, value] of Object.entries(table)) {
    if (typeof value === 'function') {
      kept[template] = value;
    } else if (isPerMethod(value)) {
      const methods: Options = {};
      for (const key of Object.getOwnPropertyNames(value)) {
        if (typeof value[key] === 'function') methods[key] = value[key];
        else if (isAnswer(value[key])) dropped = true;
      }
      if (Object.keys(methods).length > 0) kept[template] = methods;
    } else {
      dropped = true;
    }
  }
  return dropped ? kept : undefined;
}
