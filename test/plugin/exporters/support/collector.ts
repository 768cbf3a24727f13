// A real HTTP server on 127.0.0.1 standing in for a tracing backend: records every request and
// answers with a scripted status sequence, then a default.
export interface ReceivedRequest {
  method: string;
  path: string;
  headers: Headers;
  body: Uint8Array;
}

export interface Collector {
  /** Base URL, e.g. http://127.0.0.1:41234 */
  url: string;
  received: ReceivedRequest[];
  /** Statuses for the next requests, in order; once used up, `defaultStatus`. */
  script: number[];
  /** Resolves when `count` requests have arrived; rejects after `timeoutMs`. */
  waitFor(count: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export function startCollector(options: { defaultStatus?: number; responseBody?: string } = {}): Collector {
  const received: ReceivedRequest[] = [];
  const script: number[] = [];
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(request) {
      received.push({
        method: request.method,
        path: new URL(request.url).pathname,
        headers: request.headers,
        body: new Uint8Array(await request.arrayBuffer()),
      });
      const status = script.shift() ?? options.defaultStatus ?? 202;
      const body = status < 300 ? (options.responseBody ?? '') : `status ${status} from the test collector`;
      return new Response(status === 204 ? null : body, { status });
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}`,
    received,
    script,
    async waitFor(count, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (received.length < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} requests, got ${received.length} within ${timeoutMs} ms`);
        await Bun.sleep(5);
      }
    },
    stop: () => server.stop(true),
  };
}

/** A 127.0.0.1 URL nothing listens on: a server's port, taken and released. */
export async function closedPortUrl(): Promise<string> {
  const server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response('') });
  const url = `http://127.0.0.1:${server.port}`;
  await server.stop(true);
  return url;
}
