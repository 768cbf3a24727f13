// The "router" of the spec's examples: any router whose use() takes `(req, next)` middlewares.
// The npm bun-router 0.8.1 has no such use(), so the tests use this one (about what Hono's compose does).
import { compose, type EnhancedRequest, type Middleware } from '../../../src/middleware/index.ts';

type Handler = (req: EnhancedRequest & { params: Record<string, string> }) => Response | Promise<Response> | undefined | Promise<Response | undefined>;

export class Router {
  readonly #middlewares: Middleware[] = [];
  readonly #routes: Array<{ method: string; parts: string[]; handler: Handler }> = [];

  use(middleware: Middleware): this {
    this.#middlewares.push(middleware);
    return this;
  }

  get(path: string, handler: Handler): this {
    return this.#add('GET', path, handler);
  }

  post(path: string, handler: Handler): this {
    return this.#add('POST', path, handler);
  }

  /** A fetch handler for Bun.serve, and what the tests call in-process. */
  readonly fetch = (req: Request): Promise<Response> => compose(this.#middlewares, (r) => this.#dispatch(r))(req as EnhancedRequest);

  #add(method: string, path: string, handler: Handler): this {
    this.#routes.push({ method, parts: path.split('/').filter(Boolean), handler });
    return this;
  }

  async #dispatch(req: EnhancedRequest): Promise<Response> {
    const parts = new URL(req.url).pathname.split('/').filter(Boolean);
    for (const route of this.#routes) {
      if (route.method !== req.method || route.parts.length !== parts.length) continue;
      const params: Record<string, string> = {};
      if (!route.parts.every((p, i) => (p.startsWith(':') ? ((params[p.slice(1)] = decodeURIComponent(parts[i]!)), true) : p === parts[i]))) continue;
      req.params = params;
      return (await route.handler(req as EnhancedRequest & { params: Record<string, string> })) ?? new Response('No Content', { status: 204 });
    }
    return new Response('Not Found', { status: 404 });
  }
}

/** A local HTTP sink standing in for Jaeger, Zipkin or a metrics API: counts what is POSTed to it. */
export function startSink(): { url: string; requests: Array<{ path: string; body: Uint8Array; headers: Headers }>; stop: () => void } {
  const requests: Array<{ path: string; body: Uint8Array; headers: Headers }> = [];
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(req) {
      requests.push({ path: new URL(req.url).pathname, body: new Uint8Array(await req.arrayBuffer()), headers: req.headers });
      return new Response(null, { status: 202 });
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, requests, stop: () => server.stop(true) };
}
