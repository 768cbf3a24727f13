// `propagation: { enabled: false }` (found by a review of the packed package): the tracer still
// wrote a `traceparent` on every response, so trace ids went out to clients with no way to stop
// them. Off, it neither reads nor writes a trace header: not on responses, not on an outbound
// fetch (where the preload carries the tracer's trace on); the trace is still recorded. Through a
// real Bun server and a real fetch, and an app run under the preload.
import { afterEach, describe, expect, test } from 'bun:test';
import { compose, requestTracer, type TraceSpan } from '../../src/middleware/index.ts';
import { startApp, type AppProcess } from '../plugin/support/app-process.ts';

const closers: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** A real Bun server on 127.0.0.1 answering `ok` behind a tracer made with `options`. */
function servedTracer(options: Parameters<typeof requestTracer>[0]): { base: string; tracer: ReturnType<typeof requestTracer> } {
  const tracer = requestTracer({ sampleRate: 1, ...options });
  const server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: compose([tracer], () => new Response('ok')) });
  closers.push(() => server.stop(true), tracer.close);
  return { base: `http://127.0.0.1:${server.port}`, tracer };
}

/** The trace headers of an answer: W3C's and the legacy defaults (`propagation.headers`). */
function traceHeadersOf(res: Response): Record<string, string | null> {
  return Object.fromEntries(['traceparent', 'tracestate', 'x-trace-id', 'x-span-id'].map((name) => [name, res.headers.get(name)]));
}

function onlyServerSpan(spans: TraceSpan[]): TraceSpan {
  const servers = spans.filter((s) => s.kind === 'server');
  if (servers.length !== 1) throw new Error(`expected one server span, got ${servers.length}`);
  return servers[0]!;
}

const CALLER_TRACE = '0af7651916cd43dd8448eb211c80319c';
const CALLER = { traceparent: `00-${CALLER_TRACE}-b7ad6b7169203331-01`, tracestate: 'vendor=abc', 'x-trace-id': 'abcdef0123456789abcdef0123456789', 'x-span-id': '00f067aa0ba902b7' };
const NONE = { traceparent: null, tracestate: null, 'x-trace-id': null, 'x-span-id': null };

describe('responses', () => {
  test('off: no trace header on the answer, with or without a caller\'s context, and the trace is still recorded (a new one)', async () => {
    const { base, tracer } = servedTracer({ propagation: { enabled: false } });
    const plain = await fetch(`${base}/c`);
    expect([plain.status, await plain.text()]).toEqual([200, 'ok']);
    expect(traceHeadersOf(plain)).toEqual(NONE);
    const withCaller = await fetch(`${base}/c`, { headers: CALLER });
    expect(traceHeadersOf(withCaller)).toEqual(NONE);
    await tracer.flush();
    const spans = tracer.getRecentSpans();
    expect(spans.length).toBe(2);
    // The caller's headers are not read either: its trace is neither continued nor named.
    expect(spans.map((s) => [s.kind, s.parentSpanId, s.traceId === CALLER_TRACE, s.tags['w3c.tracestate']])).toEqual([
      ['server', undefined, false, undefined],
      ['server', undefined, false, undefined],
    ]);
  });

  test('on (the default): the answer carries the recorded span\'s traceparent, and the caller\'s trace and tracestate', async () => {
    const { base, tracer } = servedTracer({});
    const plain = await fetch(`${base}/c`);
    await tracer.flush();
    const own = onlyServerSpan(tracer.getRecentSpans());
    expect(traceHeadersOf(plain)).toEqual({ ...NONE, traceparent: `00-${own.traceId}-${own.spanId}-01` });

    const withCaller = await fetch(`${base}/c`, { headers: CALLER });
    await tracer.flush();
    const continued = tracer.getRecentSpans().find((s) => s.traceId === CALLER_TRACE)!;
    expect(continued.parentSpanId).toBe('b7ad6b7169203331');
    expect(traceHeadersOf(withCaller)).toEqual({ ...NONE, traceparent: `00-${CALLER_TRACE}-${continued.spanId}-01`, tracestate: 'vendor=abc' });
  });
});

describe('an outbound fetch, with the preload in the process', () => {
  const apps: AppProcess[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.kill()));
  });

  /** What /leaf received when /root fetched it, and /root's answer, in an app whose tracer has `propagation`. */
  async function rootCall(propagation: 'on' | 'off') {
    // The preload traces nothing itself: every trace is the tracer's.
    const app = await startApp('../test/middleware/tracer-propagation-app.ts', { env: { BUN_APM_TRACE_SAMPLE_RATE: '0', PROPAGATION: propagation } });
    apps.push(app);
    const res = await app.fetch('/root');
    const body = (await res.json()) as { leafReceived: { traceparent: string | null; tracestate: string | null }; traceId: string };
    return { res, body };
  }

  test('off: the fetch carries no traceparent, nor does the answer', async () => {
    const { res, body } = await rootCall('off');
    expect(body.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(body.leafReceived).toEqual({ traceparent: null, tracestate: null });
    expect(res.headers.get('traceparent')).toBeNull();
  }, 30_000);

  test('on: the fetch carries the tracer\'s trace on', async () => {
    const { res, body } = await rootCall('on');
    expect(body.leafReceived.traceparent).toMatch(new RegExp(`^00-${body.traceId}-[0-9a-f]{16}-01$`));
    expect(res.headers.get('traceparent')).toMatch(new RegExp(`^00-${body.traceId}-[0-9a-f]{16}-01$`));
  }, 30_000);
});
