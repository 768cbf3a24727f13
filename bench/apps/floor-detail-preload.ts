// The least a monitor shipping full detail must do, preloaded like bun-apm so bench/overhead.ts can
// print it beside bun-apm's full detail (sampleRate 1, traceSampleRate 0.05) in the same run: the
// floor's timing and `traceparent`, then one record per request (time, method, path from the URL,
// route, status, duration, user agent) and, for 5 % of requests, a trace (fresh ids, the handler run
// in an AsyncLocalStorage scope so outbound calls could join it, a span, `traceparent` on the
// response). Records are JSON-encoded 250 at a time off the request path and sent gzip'd (level 1)
// to the sink about every 256 KiB, as bun-apm's batches are. No rollups, sketches, sampling
// decisions, bounds or retries: whatever bun-apm costs over this is its own.
//   bun --preload ./bench/apps/floor-detail-preload.ts examples/routes-app.ts
import { AsyncLocalStorage } from 'node:async_hooks';
import type { DetailSample } from '../../src/core/wire-format.ts';
import { patchServe, type Handler } from './patch-serve.ts';

const TRACE_SHARE = 0.05;
const RECORDS_PER_CUT = 250;
const CHARS_PER_BATCH = 256 * 1024;
const endpoint = process.env.BUN_APM_ENDPOINT;
const app = process.env.BUN_APM_APP ?? 'floor-detail';
const send = globalThis.fetch;
const scope = new AsyncLocalStorage<string>();

/** bun-apm's record without what it takes from its profiles (a type only: nothing of bun-apm is loaded). */
type DetailRecord = Pick<DetailSample, 'timestamp' | 'method' | 'path' | 'route' | 'statusCode' | 'duration'> & { userAgent: string | null };

let records: DetailRecord[] = [];
let spans: object[] = [];
let cutScheduled = false;
const encoded: string[] = [];
let encodedChars = 0;

function hex(length: number): string {
  let out = '';
  while (out.length < length) out += Math.floor(Math.random() * 2 ** 32).toString(16).padStart(8, '0');
  return out.slice(0, length);
}

function pathOf(url: string): string {
  const start = url.indexOf('/', url.indexOf('://') + 3);
  const query = url.indexOf('?', start);
  return url.slice(start, query < 0 ? url.length : query);
}

function cut(): void {
  cutScheduled = false;
  if (!endpoint) {
    // Nowhere to send (bench/instructions.ts): bun-apm encodes nothing then either.
    records = [];
    spans = [];
    return;
  }
  const text = `{"samples":${JSON.stringify(records)},"spans":${JSON.stringify(spans)}}`;
  records = [];
  spans = [];
  encoded.push(text);
  encodedChars += text.length;
  if (encodedChars < CHARS_PER_BATCH) return;
  const body = Bun.gzipSync(`{"identity":{"app":${JSON.stringify(app)}},"cuts":[${encoded.join(',')}]}`, { level: 1 });
  encoded.length = 0;
  encodedChars = 0;
  void send(`${endpoint}/v1/ingest`, { method: 'POST', headers: { 'content-encoding': 'gzip' }, body }).then(
    (response) => response.arrayBuffer(),
    () => undefined,
  );
}

function finish(request: Request, route: string | undefined, start: number, response: unknown, traceId: string | undefined): void {
  const duration = performance.now() - start;
  const status = response instanceof Response ? response.status : 500;
  const path = pathOf(request.url);
  records.push({ timestamp: performance.timeOrigin + start, method: request.method, path, route: route ?? path, statusCode: status, duration, userAgent: request.headers.get('user-agent') });
  if (traceId !== undefined) {
    const spanId = hex(16);
    spans.push({ traceId, spanId, name: `${request.method} ${route ?? path}`, kind: 'server', startTime: performance.timeOrigin + start, duration, status: status >= 500 ? 'error' : 'ok', tags: { 'http.method': request.method, 'http.target': path, 'http.status_code': status }, logs: [] });
    if (response instanceof Response) response.headers.set('traceparent', `00-${traceId}-${spanId}-01`);
  }
  if (records.length >= RECORDS_PER_CUT && !cutScheduled) {
    cutScheduled = true;
    setTimeout(cut, 0);
  }
}

function wrap(handler: Handler, route?: string): Handler {
  return function detailed(this: unknown, request: Request, server: unknown): unknown {
    const start = performance.now();
    const incoming = request.headers.get('traceparent');
    const traceId = incoming !== null ? incoming.slice(3, 35) : Math.random() < TRACE_SHARE ? hex(32) : undefined;
    const result = traceId === undefined ? handler.call(this, request, server) : scope.run(traceId, () => handler.call(this, request, server));
    if (result instanceof Promise) return result.then((response) => (finish(request, route, start, response, traceId), response));
    finish(request, route, start, result, traceId);
    return result;
  };
}

patchServe(wrap);
