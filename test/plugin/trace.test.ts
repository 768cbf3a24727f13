// Trace context end to end: an incoming traceparent is continued, and a request that calls a second
// instrumented app over fetch makes one trace across both processes.
import { afterAll, describe, expect, test } from 'bun:test';
import { parseTraceparent } from '../../src/core/trace-context.ts';
import type { Span } from '../../src/core/wire-format.ts';
import { startApp, type AppProcess } from './support/app-process.ts';
import { IngestSink } from './support/ingest-sink.ts';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';

const started: AppProcess[] = [];
const sink = new IngestSink().start();
afterAll(async () => {
  await Promise.all(started.map((app) => app.kill()));
  await sink.stop();
});

async function pair(traceSampleRate: string): Promise<{ front: AppProcess; back: AppProcess }> {
  const env = { BUN_APM_ENDPOINT: sink.url, BUN_APM_INGEST_KEY: sink.ingestKey, BUN_APM_FLUSH_INTERVAL_MS: '600000', BUN_APM_TRACE_SAMPLE_RATE: traceSampleRate };
  const back = await startApp('routes-app.ts', { env: { ...env, BUN_APM_SERVICE: 'users' } });
  started.push(back);
  const front = await startApp('hono-app.ts', { env: { ...env, BUN_APM_SERVICE: 'front', DOWNSTREAM_URL: back.url } });
  started.push(front);
  return { front, back };
}

async function stop(...apps: AppProcess[]): Promise<void> {
  for (const app of apps) app.process.kill('SIGTERM');
  await Promise.all(apps.map((app) => app.exited));
}

function spansOf(service: string, traceId: string): Span[] {
  return sink.batches.filter((b) => b.identity.service === service).flatMap((b) => b.spans).filter((s) => s.traceId === traceId);
}

describe('trace context', () => {
  test('a sampled traceparent is continued, through outbound fetch, into a second app: one trace', async () => {
    const { front, back } = await pair('0');
    const response = await front.fetch('/relay/1', { headers: { traceparent: `00-${TRACE}-${CALLER_SPAN}-01` } });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { body: unknown }).body).toEqual({ id: '1', name: 'Ada' });
    const returned = parseTraceparent(response.headers.get('traceparent'));
    expect(returned?.traceId).toBe(TRACE);
    expect(returned?.sampled).toBe(true);
    expect(response.headers.get('server-timing')).toMatch(/^total;dur=\d+(\.\d+)?$/);
    await stop(front, back);

    const frontSpans = spansOf('front', TRACE);
    const backSpans = spansOf('users', TRACE);
    const server = frontSpans.find((s) => s.kind === 'server');
    const client = frontSpans.find((s) => s.kind === 'client');
    const downstream = backSpans.find((s) => s.kind === 'server');
    // OpenTelemetry's HTTP conventions: Ok is the app's own word to give, not instrumentation's.
    expect(server).toMatchObject({ name: 'GET /relay/:id', parentSpanId: CALLER_SPAN, status: 'unset' });
    expect(server?.spanId).toBe(returned?.parentId);
    expect(client).toMatchObject({ parentSpanId: server!.spanId, status: 'unset' });
    expect(client?.tags['http.status_code']).toBe(200);
    expect(client?.tags['http.url']).toBe(`${back.url}/users/1`);
    expect(downstream).toMatchObject({ name: 'GET /users/:id', parentSpanId: client!.spanId });
    expect(client!.startTime).toBeGreaterThanOrEqual(server!.startTime);
    expect(client!.duration).toBeLessThanOrEqual(server!.duration);
    // Two processes on one clock: the downstream span starts after the call that caused it (a
    // review saw it up to a millisecond before, each process's time read from Date.now() alone).
    expect(downstream!.startTime).toBeGreaterThanOrEqual(client!.startTime);
    expect(downstream!.startTime + downstream!.duration).toBeLessThanOrEqual(client!.startTime + client!.duration);
  }, 30_000);

  test('an unsampled traceparent is honoured: no spans anywhere, the decision passed on downstream', async () => {
    const trace = 'a'.repeat(31) + '1';
    const { front, back } = await pair('1'); // would trace everything, but the caller said no
    const response = await front.fetch('/relay/2', { headers: { traceparent: `00-${trace}-${CALLER_SPAN}-00` } });
    expect(response.status).toBe(200);
    expect(parseTraceparent(response.headers.get('traceparent'))).toMatchObject({ traceId: trace, sampled: false });
    await stop(front, back);
    // Both apps trace everything they start themselves; these two processes must hold no span at all.
    // A process by its pid (the instance id stays across restarts; the pid is its detail).
    const fromProcess = (app: AppProcess) => sink.batches.filter((b) => b.identity.pid === app.process.pid);
    expect(fromProcess(front).flatMap((b) => b.spans)).toEqual([]);
    expect(fromProcess(back).flatMap((b) => b.spans)).toEqual([]);
    expect(fromProcess(back).flatMap((b) => b.rollups).map((cell) => cell.route)).toEqual(['/users/:id']);
  }, 30_000);

  test('without a traceparent, head sampling at traceSampleRate 1 starts a trace and returns its traceparent', async () => {
    const { front, back } = await pair('1');
    const response = await front.fetch('/users/9');
    const returned = parseTraceparent(response.headers.get('traceparent'));
    expect(returned?.sampled).toBe(true);
    // A 4xx a server answers is no error of its span; the client span of a 4xx it got is one.
    const missing = parseTraceparent((await front.fetch('/nowhere')).headers.get('traceparent'));
    const relay = parseTraceparent((await front.fetch('/relay/404')).headers.get('traceparent'));
    await stop(front, back);
    expect(spansOf('front', returned!.traceId).map((s) => s.name)).toEqual(['GET /users/:id']);
    expect(spansOf('front', missing!.traceId).map((s) => [s.status, s.tags['http.status_code']])).toEqual([['unset', 404]]);
    const client = spansOf('front', relay!.traceId).find((s) => s.kind === 'client');
    expect([client?.status, client?.tags['http.status_code']]).toEqual(['error', 404]);
  }, 30_000);

  test('a traceparent that does not parse is no opt-out: head sampling starts a new trace (W3C Trace Context)', async () => {
    const { front, back } = await pair('1');
    const returned = [];
    for (const traceparent of ['garbage', `00-${TRACE.toUpperCase()}-${CALLER_SPAN}-01`, `00-${'0'.repeat(32)}-${CALLER_SPAN}-01`]) {
      const response = await front.fetch('/health', { headers: { traceparent } });
      returned.push(parseTraceparent(response.headers.get('traceparent')));
    }
    await stop(front, back);
    expect(returned.map((t) => t?.sampled)).toEqual([true, true, true]);
    expect(new Set(returned.map((t) => t!.traceId)).size).toBe(3);
    for (const t of returned) expect(spansOf('front', t!.traceId).map((s) => s.name)).toEqual(['GET /health']);
  }, 30_000);
});
