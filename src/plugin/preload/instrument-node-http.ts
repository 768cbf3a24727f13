// Counts the requests of node:http servers (Express, Koa, Fastify on Bun). Bun runs them on
// Bun.serve, but with a handler of its own (`onNodeHTTPRequest`) that no fetch wrapper sees, and
// hands each request to the server's 'request' listeners through emit. That emit is wrapped once,
// when the first such server starts: a request begins there and ends when its response has been
// sent, or when its connection closes first (499, as proxies count a client that went away).
import { pathEnd, pathOf } from '../../core/request-key.ts';
import type { Recorder } from '../runtime/recorder.ts';
import type { RequestState } from '../runtime/request-state.ts';
import { traceScope } from '../runtime/trace-scope.ts';
import { expressTemplate, expressUnrouted } from './express-route.ts';
import { express4Template, express4Wildcard } from './express4-mounts.ts';
import { isWrapped, WRAPPED } from './instrument-handler.ts';

/** The little of node:http's IncomingMessage read here (and Express's route, once it has routed). */
interface NodeRequest {
  method?: string;
  url?: string;
  headers: Record<string, string | string[] | undefined>;
  route?: { path?: unknown };
  baseUrl?: unknown;
  app?: unknown;
}

interface NodeResponse {
  statusCode: number;
  writableFinished?: boolean;
  on(event: 'close', listener: () => void): unknown;
}

/**
 * What the recorder reads of a Request: its method, its URL (only when it must) and headers. The
 * URL is the request target as it came (Express cuts its mount path off `req.url` as it routes),
 * under a fixed origin: a Host header holding `/`, `?` or `#` must not rewrite the path. It is its
 * own `headers`, so that a request costs one object, not three (a headers object and its closure).
 */
class RequestView {
  readonly #node: NodeRequest;
  readonly #target: string;

  constructor(node: NodeRequest) {
    this.#node = node;
    this.#target = node.url ?? '/';
  }

  get headers(): this {
    return this;
  }

  get(name: string): string | null {
    const value = this.#node.headers[name];
    return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
  }

  get method(): string {
    return this.#node.method ?? 'GET';
  }

  get url(): string {
    return this.#target.startsWith('/') ? `http://node${this.#target}` : this.#target;
  }

  /** The path asked, without its query: cut from the target as it came, not from a URL built for it. */
  get path(): string {
    const target = this.#target;
    return target.startsWith('/') ? target.slice(0, pathEnd(target, 0)) : pathOf(target);
  }
}

/** Wraps node:http's Server emit (https.Server shares it); once per process. */
export function instrumentNodeHttp(recorder: Recorder): void {
  const proto = (require('node:http') as typeof import('node:http')).Server.prototype as unknown as { emit: (...args: unknown[]) => boolean };
  const emit = proto.emit;
  if (isWrapped(emit)) return;
  const wrapped = function emitRequest(this: unknown, ...args: unknown[]): boolean {
    if (args[0] !== 'request') return emit.apply(this, args);
    const [, req, res] = args as [string, NodeRequest, NodeResponse];
    let state: RequestState | undefined;
    try {
      const view = new RequestView(req);
      state = recorder.begin(view as unknown as Request);
      // 'close' comes for every response, just after 'finish' for one answered (Bun's node:http as
      // Node's): one listener, not two.
      if (state !== undefined) res.on('close', endOf(recorder, state, req, res, view, this));
    } catch {
      // never let monitoring stand between the app and its request
    }
    return state?.traceId === undefined ? emit.apply(this, args) : traceScope.run(state, () => emit.apply(this, args));
  };
  Object.defineProperty(wrapped, WRAPPED, { value: true });
  proto.emit = wrapped;
}

/** Out of emitRequest, so that its closure holds only what the end reads. */
function endOf(recorder: Recorder, state: RequestState, req: NodeRequest, res: NodeResponse, view: RequestView, server: unknown): () => void {
  return () => {
    if (state.ended) return;
    const status = res.writableFinished === false ? 499 : res.statusCode;
    recorder.ended(state, status, expressRoute(req, view.path, status, server));
  };
}

/** The server's app: the first of its 'request' listeners (`app.listen` makes the app one), kept per server. */
const appOfServer = new WeakMap<object, unknown>();
function serverApp(server: unknown): unknown {
  if (typeof server !== 'object' || server === null) return undefined;
  if (!appOfServer.has(server)) {
    const listeners = (server as { listeners?: (event: string) => unknown[] }).listeners?.('request');
    appOfServer.set(server, Array.isArray(listeners) ? listeners[0] : undefined);
  }
  return appOfServer.get(server);
}

/**
 * Express's template of the route that answered (`/users/:id`, under its routers' mount patterns),
 * when it fits the path asked, also for a request that left its router or sub-app (`next(error)` to
 * the app's error handler, `next()` to its 404) with the mount path already reset. For one no route
 * answered, the route middleware kept it from or its parameterised mount (expressUnrouted). Else
 * none: the normaliser names the path. Run once the response has ended, off the request's way.
 */
function expressRoute(req: NodeRequest, asked: string, status: number, server: unknown): string | undefined {
  try {
    const route = req.route;
    const baseUrl = typeof req.baseUrl === 'string' ? req.baseUrl : '';
    if (typeof route !== 'object' || route === null) {
      if (req.app === undefined) return undefined;
      return expressUnrouted(req.app, req.method ?? 'GET', asked, status, baseUrl) ?? (status >= 400 || baseUrl !== '' ? express4Wildcard(req.app, asked, serverApp(server)) : undefined);
    }
    // From the patterns Express keeps (router 2.x); Express 4's mounts from their RegExps and
    // parameter names; else from the mount path matched, which names a parameterised mount by its value.
    return expressTemplate(req.app, route, baseUrl, asked) ?? express4Route(req.app, route, baseUrl, asked, server) ?? matchedRoute(route.path, baseUrl, asked);
  } catch {
    return undefined; // an app's own req.route or req.app that cannot be read: the path is normalised
  }
}

/** Express 4's template of a route under its routers' mounts, where it fits the path asked (matchedRoute's test). */
function express4Route(app: unknown, route: { path?: unknown }, baseUrl: string, asked: string, server: unknown): string | undefined {
  if (typeof route.path !== 'string') return undefined;
  const template = express4Template(app, route, baseUrl, route.path, serverApp(server));
  return template !== undefined && fitsAsked(template, asked) ? template : undefined;
}

/**
 * Whether a template fits the path asked, segment by segment (a parameter or `*` fits any one);
 * `loose`: as Express 4 matches by default, without regard to case, one trailing slash left out.
 */
function fitsAsked(template: string, asked: string, loose = true): boolean {
  const parts = template.split('/');
  const askedParts = (loose && asked.length > 1 && asked.endsWith('/') ? asked.slice(0, -1) : asked).split('/');
  const same = loose ? (a: string, b: string) => a.toLowerCase() === b.toLowerCase() : (a: string, b: string) => a === b;
  return parts.length === askedParts.length && parts.every((part, i) => part.startsWith(':') || (loose && part === '*') || same(part, askedParts[i]!));
}

function matchedRoute(path: unknown, baseUrl: string, asked: string): string | undefined {
  if (typeof path !== 'string') return undefined;
  const joined = `${baseUrl}${path}`;
  const template = joined.length > 1 && joined.endsWith('/') ? joined.slice(0, -1) : joined; // a router's '/' under its mount path
  return fitsAsked(template, asked, false) ? template : undefined;
}
