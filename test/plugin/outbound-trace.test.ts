// Outbound fetch under the preload, as a review found it across two real processes: a trace the
// explicit RequestTracer drew goes on to the next service (it had, only when the preload drew it),
// and a caller's own traceparent goes out as it is with no client span of ours naming a parent the
// next service never saw.
import { afterAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseTraceparent } from '../../src/core/trace-context.ts';
import type { Span } from '../../src/core/wire-format.ts';
import { AppProcess, freePort, REPO, listening } from './support/app-process.ts';
import { IngestSink } from './support/ingest-sink.ts';

const MIDDLEWARE = join(REPO, 'src', 'middleware', 'index.ts');
const PRELOAD = join(REPO, 'src', 'plugin', 'preload.ts');
const CALLERS = '00-11111111111111111111111111111111-2222222222222222-01';

const FRONT = `import { instrument, requestTracer } from ${JSON.stringify(MIDDLEWARE)};
const tracer = requestTracer({ sampleRate: 1, serviceName: 'front' });
const down = process.env.DOWNSTREAM_URL;
const handler = instrument(async (req) => {
  const path = new URL(req.url).pathname;
  const headers = path === '/own' ? { traceparent: ${JSON.stringify(CALLERS)} } : {};
  const answer = await fetch(down + '/seen', { headers });
  return Response.json({ traceId: req.traceId, spanId: req.spanId, downstream: await answer.text() });
}, tracer);
Bun.serve({ hostname: '127.0.0.1', port: Number(process.env.PORT), fetch: handler });
`;

// The next service, plain: it answers with the traceparent it was sent.
const BACK = `Bun.serve({ hostname: '127.0.0.1', port: Number(process.env.PORT), fetch: (req) => new Response(req.headers.get('traceparent') ?? 'none') });
`;

const dir = mkdtempSync(join(tmpdir(), 'bun-apm-outbound-'));
writeFileSync(join(dir, 'front.ts'), FRONT);
writeFileSync(join(dir, 'back.ts'), BACK);
const sink = new IngestSink().start();
const apps: AppProcess[] = [];
afterAll(async () => {
  await Promise.all(apps.map((app) => app.kill()));
  await sink.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function start(file: string, env: Record<string, string>, preload: boolean): Promise<AppProcess> {
  const port = freePort();
  const base: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined && !key.startsWith('BUN_APM_')) base[key] = value;
  const child = Bun.spawn([process.execPath, ...(preload ? ['--preload', PRELOAD] : []), file], { cwd: dir, env: { ...base, PORT: String(port), ...env }, stdout: 'pipe', stderr: 'pipe' });
  const app = new AppProcess(child, port);
  apps.push(app);
  // A TCP connect, not a request: nothing counted or traced before the probes.
  const ready = await listening([port]);
  if (!ready) throw new Error(`${file} did not start:\n${app.stderr}`);
  return app;
}

describe('outbound fetch under the preload', () => {
  test('a RequestTracer trace goes on to the next service, with our client span; a caller\'s own traceparent goes out alone', async () => {
    const back = await start('back.ts', {}, false);
    // The preload draws no trace itself (rate 0): only the tracer does, every request.
    const front = await start('front.ts', {
      DOWNSTREAM_URL: back.url, BUN_APM_ENDPOINT: sink.url, BUN_APM_INGEST_KEY: sink.ingestKey, BUN_APM_FLUSH_INTERVAL_MS: '600000', BUN_APM_TRACE_SAMPLE_RATE: '0', BUN_APM_SERVICE: 'front',
    }, true);
    const traced = (await (await front.fetch('/relay')).json()) as { traceId: string; spanId: string; downstream: string };
    const sent = parseTraceparent(traced.downstream);
    // Before: the next service got no traceparent at all.
    expect(sent).toMatchObject({ traceId: traced.traceId, sampled: true });
    const own = (await (await front.fetch('/own')).json()) as { traceId: string; downstream: string };
    expect(own.downstream).toBe(CALLERS);

    front.process.kill('SIGTERM');
    await front.exited;
    const spans: Span[] = sink.batches.flatMap((batch) => batch.spans);
    const clients = spans.filter((span) => span.kind === 'client');
    // One client span: the relay's, under the tracer's server span, with the id the next service was sent.
    expect(clients.map((span) => [span.traceId, span.parentSpanId, span.spanId])).toEqual([[traced.traceId, traced.spanId, sent!.parentId]]);
    // The tracer's server spans reach the edge through the preload too; none for the caller's trace id.
    expect(spans.filter((span) => span.kind === 'server').map((span) => span.traceId).sort()).toEqual([traced.traceId, own.traceId].sort());
    expect(spans.some((span) => span.traceId === parseTraceparent(CALLERS)!.traceId)).toBe(false);
  }, 60_000);

  test('within the adaptive trace budget: the edge gets whole traces of the requests the preload traced, and no client span of the tracer\'s others', async () => {
    const back = await start('back.ts', {}, false);
    // 1 a second, a burst of 2: most of the relays below are the tracer's alone.
    const front = await start('front.ts', {
      DOWNSTREAM_URL: back.url, BUN_APM_ENDPOINT: sink.url, BUN_APM_INGEST_KEY: sink.ingestKey, BUN_APM_FLUSH_INTERVAL_MS: '600000', BUN_APM_TRACES_PER_SECOND: '1', BUN_APM_SERVICE: 'budget',
    }, true);
    const n = 8;
    const shipped: string[] = [];
    for (let i = 0; i < n; i++) {
      const res = await front.fetch('/relay');
      const body = (await res.json()) as { traceId: string; downstream: string };
      // Every relay passes its trace on, sampled; the preload answers with Server-Timing those it traces.
      expect(parseTraceparent(body.downstream)).toMatchObject({ traceId: body.traceId, sampled: true });
      if (res.headers.get('server-timing') !== null) shipped.push(body.traceId);
    }
    front.process.kill('SIGTERM');
    await front.exited;
    const spans: Span[] = sink.batches.filter((batch) => batch.identity.service === 'budget').flatMap((batch) => batch.spans);
    expect(shipped.length).toBeGreaterThan(0);
    expect(shipped.length).toBeLessThan(n);
    // Was: all 8 server spans and all 8 client spans, past the budget.
    expect(spans.filter((span) => span.kind === 'server').map((span) => span.traceId).sort()).toEqual([...shipped].sort());
    const servers = new Set(spans.filter((span) => span.kind === 'server').map((span) => span.spanId));
    const clients = spans.filter((span) => span.kind === 'client');
    expect(clients.map((span) => span.traceId).sort()).toEqual([...shipped].sort());
    expect(clients.every((span) => servers.has(span.parentSpanId!))).toBe(true);
  }, 60_000);
});
