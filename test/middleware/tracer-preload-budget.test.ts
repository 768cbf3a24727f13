// A RequestTracer under the preload, as a review found it: with the default sampleRate of 1 and no
// exporters of its own, every request's server span went to the edge, past the preload's trace
// budget, and the requests' detail records named no trace. Now the preload ships what its budget
// (or its fixed rate) takes, linked to the detail; the tracer keeps every trace it drew for its own
// exporters and recent spans. And a handler calling its own server sent a server span twice.
import { afterEach, expect, test } from 'bun:test';
import { formatTraceparent } from '../../src/core/trace-context.ts';
import { requestTracer, type TraceSpan } from '../../src/middleware/index.ts';
import { createLog } from '../../src/plugin/runtime/log.ts';
import { setProcessRecorder } from '../../src/plugin/runtime/process-recorder.ts';
import { Recorder, type RecorderOptions } from '../../src/plugin/runtime/recorder.ts';
import type { RequestState } from '../../src/plugin/runtime/request-state.ts';
import { exporterTarget } from '../../src/plugin/runtime/exporters/exporter-config.ts';
import { Router, startSink } from './spec-examples/mini-router.ts';

const closers: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  setProcessRecorder(undefined);
});

function preloadWith(options: Partial<RecorderOptions>): { preload: Recorder; shipped: TraceSpan[] } {
  const shipped: TraceSpan[] = [];
  const preload = new Recorder({ sampleRate: 1, log: createLog(false), spanSink: (span) => shipped.push(span), ...options });
  setProcessRecorder(preload);
  return { preload, shipped };
}

function tracedRouter(options: Parameters<typeof requestTracer>[0] = {}) {
  const tracer = requestTracer({ sampleRate: 1, ...options });
  closers.push(tracer.close);
  const router = new Router().use(tracer);
  return { tracer, router };
}

const servers = (spans: TraceSpan[]) => spans.filter((span) => span.kind === 'server');

test('adaptive budget: the edge gets the server spans of the traces the preload drew, no more; the tracer keeps all of them', async () => {
  const n = 10;
  // 2 a second: a burst of 2, then none for the next 500 ms, far longer than these requests take.
  const { preload, shipped } = preloadWith({ traceSampleRate: undefined, tracesPerSecond: 2 });
  const { tracer, router } = tracedRouter();
  router.get('/users/:id', () => new Response('u'));
  const drawn: RequestState[] = [];
  for (let i = 0; i < n; i++) {
    const req = new Request(`http://app.test/users/${i}`);
    const state = preload.begin(req)!;
    if (state.traced) drawn.push(state);
    preload.respond(state, await router.fetch(req));
  }
  await tracer.flush();
  expect(drawn.length).toBeGreaterThan(0);
  expect(drawn.length).toBeLessThan(n);
  // Was: n server spans shipped, one per request.
  expect(servers(shipped).map((span) => span.spanId).sort()).toEqual(drawn.map((state) => state.spanId!).sort());
  expect(servers(tracer.getRecentSpans()).length).toBe(n);
  // Every request has its detail record; those of shipped traces name them.
  const { samples } = preload.drainDetail();
  expect(samples.length).toBe(n);
  expect(samples.filter((sample) => sample.traceId !== undefined).map((sample) => sample.spanId).sort()).toEqual(drawn.map((state) => state.spanId!).sort());
});

test('fixed rate: the preload takes the tracer\'s traces as its own, its detail records linked to them', async () => {
  const n = 5;
  const { preload, shipped } = preloadWith({ traceSampleRate: 0 });
  const { tracer, router } = tracedRouter();
  router.get('/orders/:id', (req) => Response.json({ traceId: req.traceId, spanId: req.spanId }));
  const answered: Array<{ traceId: string; spanId: string }> = [];
  for (let i = 0; i < n; i++) {
    const req = new Request(`http://app.test/orders/${i}`);
    const state = preload.begin(req)!;
    const response = await router.fetch(req);
    answered.push((await response.clone().json()) as { traceId: string; spanId: string });
    preload.respond(state, response);
  }
  await tracer.flush();
  const ids = answered.map(({ traceId, spanId }) => `${traceId}/${spanId}`).sort();
  expect(servers(shipped).map((span) => `${span.traceId}/${span.spanId}`).sort()).toEqual(ids);
  // Was: no detail record named a trace (the preload had not known of the tracer's).
  expect(preload.drainDetail().samples.map((sample) => `${sample.traceId}/${sample.spanId}`).sort()).toEqual(ids);
  expect(servers(tracer.getRecentSpans()).map((span) => span.name)).toEqual(Array(n).fill('GET /orders/:id'));
});

test('a handler that calls its own server: the tracer\'s exporter gets each server span once', async () => {
  const { preload } = preloadWith({ traceSampleRate: 1 });
  const exported: TraceSpan[] = [];
  const { tracer, router } = tracedRouter({ exporters: [{ type: 'custom', customExporter: (spans) => void exported.push(...spans) }] });
  router.get('/inner', () => new Response('inner'));
  router.get('/outer', async (req) => {
    // As the preload sees a request its own fetch sent back to the process: the trace continues.
    const inner = new Request('http://app.test/inner', { headers: { traceparent: formatTraceparent(req.traceId!, req.spanId!, true) } });
    const state = preload.begin(inner)!;
    preload.respond(state, await router.fetch(inner));
    return new Response('outer');
  });
  const outer = new Request('http://app.test/outer');
  const state = preload.begin(outer)!;
  preload.respond(state, await router.fetch(outer));
  await tracer.flush();
  const names = servers(exported).map((span) => span.name).sort();
  // Was: GET /outer twice (taken as a span of the trace it joined, and as its own copy).
  expect(names).toEqual(['GET /inner', 'GET /outer']);
  expect(new Set(exported.map((span) => span.spanId)).size).toBe(exported.length);
});

test('a tracer with exporters of its own (no `edge`) keeps its traces there: the preload ships none of them, its fixed rate 0 or not', async () => {
  const n = 4;
  const { preload, shipped } = preloadWith({ traceSampleRate: 0 });
  const exported: TraceSpan[] = [];
  const { tracer, router } = tracedRouter({ exporters: [{ type: 'custom', customExporter: (spans) => void exported.push(...spans) }] });
  router.get('/orders/:id', (req) => {
    tracer.finish(tracer.createChildSpan(req.spanId!, 'db')!, 'ok');
    return new Response('o');
  });
  for (let i = 0; i < n; i++) {
    const req = new Request(`http://app.test/orders/${i}`);
    const state = preload.begin(req)!;
    preload.respond(state, await router.fetch(req));
  }
  await tracer.flush();
  expect(shipped).toEqual([]);
  expect(preload.drainDetail().samples.filter((sample) => sample.traceId !== undefined)).toEqual([]);
  expect(exported.map((span) => span.kind).sort()).toEqual([...Array(n).fill('internal'), ...Array(n).fill('server')]);
});

test('a caller\'s legacy x-trace-id / x-span-id go on when the preload drew a trace of its own for the request', async () => {
  const { preload, shipped } = preloadWith({ traceSampleRate: 1 });
  const { tracer, router } = tracedRouter();
  router.get('/users/:id', (req) => Response.json({ traceId: req.traceId }));
  const req = new Request('http://app.test/users/1', { headers: { 'x-trace-id': 'ABCDEF0123456789ABCDEF0123456789', 'x-span-id': '00f067aa0ba902b7' } });
  const state = preload.begin(req)!;
  const drawn = state.traceId;
  const response = await router.fetch(req);
  const body = (await response.clone().json()) as { traceId: string };
  preload.respond(state, response);
  await tracer.flush();
  expect(drawn).toBeDefined();
  // Was the preload's own draw: the caller's trace lost in both backends.
  expect(body.traceId).toBe('abcdef0123456789abcdef0123456789');
  expect(servers(shipped).map((span) => [span.traceId, span.parentSpanId])).toEqual([['abcdef0123456789abcdef0123456789', '00f067aa0ba902b7']]);
  expect(preload.drainDetail().samples.map((sample) => sample.traceId)).toEqual(['abcdef0123456789abcdef0123456789']);
  expect(response.headers.get('traceparent')?.split('-')[1]).toBe('abcdef0123456789abcdef0123456789');
});

test('a trace of the tracer\'s own whose one exporter the preload also ships to: that backend gets its spans recorded by the preload too', async () => {
  const sink = startSink();
  closers.push(sink.stop);
  const { preload, shipped } = preloadWith({ traceSampleRate: 0 });
  preload.exportTargets = new Set(['edge', exporterTarget({ type: 'zipkin', endpoint: sink.url })!]);
  const { tracer, router } = tracedRouter({ exporters: [{ type: 'zipkin', endpoint: sink.url }] });
  router.get('/relay', (req) => {
    // As the preload records an outbound fetch's client span in the request's trace.
    preload.recordSpan({ traceId: req.traceId!, spanId: '00000000000000c1', parentSpanId: req.spanId!, name: 'GET down', kind: 'client', startTime: Date.now(), duration: 1, status: 'unset', tags: {}, logs: [] });
    return new Response('r');
  });
  const req = new Request('http://app.test/relay');
  const state = preload.begin(req)!;
  preload.respond(state, await router.fetch(req));
  await tracer.flush();
  const posted = sink.requests.flatMap((r) => JSON.parse(new TextDecoder().decode(r.body)) as Array<{ kind?: string }>);
  expect(shipped).toEqual([]);
  // Was the server span alone: the client span, recorded by the preload, reached no backend.
  expect(posted.map((span) => span.kind).sort()).toEqual(['CLIENT', 'SERVER']);
});
