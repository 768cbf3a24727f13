// What the benchmark's own preloads share: Bun.serve patched once at startup so that every handler
// it is given (`fetch`, and each function in `routes`) is the preload's wrapper of it. The wrapper
// itself is each preload's own, so what runs per request is exactly what that preload measures.
export type Handler = (this: unknown, request: Request, server: unknown) => unknown;

/** `wrap` gets each handler once, with its `routes` key when it has one. */
export function patchServe(wrap: (handler: Handler, route?: string) => Handler): void {
  const bun = Bun as unknown as { serve: (options: Record<string, unknown>) => unknown };
  const serve = bun.serve;
  bun.serve = (options) => {
    const copy: Record<string, unknown> = Object.create(options);
    if (typeof options.fetch === 'function') copy.fetch = wrap(options.fetch as Handler);
    if (options.routes && typeof options.routes === 'object') {
      const routes: Record<string, unknown> = {};
      for (const [path, value] of Object.entries(options.routes)) routes[path] = typeof value === 'function' ? wrap(value as Handler, path) : value;
      copy.routes = routes;
    }
    return serve.call(Bun, copy);
  };
}
