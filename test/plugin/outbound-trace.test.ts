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

// A handler that fetches a second server of its own process; the tracer ships to its own exporter
// (OWN) or, without exporters, through the preload. /exported answers what that exporter got.
const SELF = `import { instrument, requestTracer } from ${JSON.stringify(MIDDLEWARE)};
const exported = [];
const tracer = requestTracer({ sampleRate: 1, exporters: process.env.OWN ? [{ type: 'custom', customExporter: (spans) => void exported.push(...spans) }] : [] });
const down = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response('down') });
Bun.serve({ hostname: '127.0.0.1', port: Number(process.env.PORT), fetch: instrument(async (req) => {
  if (new URL(req.url).pathname === '/exported') { await tracer.flush(); return Response.json(exported); }
  await (await fetch('http://127.0.0.1:' + down.port + '/x')).text();
  return Response.json({ traceId: req.traceId });
}, tracer) });
`;

// The next service, plain: it answers with the traceparent it was sent.
const BACK = `Bun.serve({ hostname: '127.0.0.1', port: Number(process.env.PORT), fetch: (req) => new Response(req.headers.get('traceparent') ?? 'none') });
`;

const dir = mkdtempSync(join(tmpdir(), 'bun-apm-outbound-'));
writeFileSync(join(dir, 'front.ts'), FRONT);
writeFileSync(join(dir, 'back.ts'), BACK);
writeFileSync(join(dir, 'self.ts'), SELF);
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

  for (const own of [true, false]) {
    test(`a trace the preload does not ship reaches a server of the same process: nothing of it at the edge${own ? ', whole at the tracer\'s own exporter' : ' (the tracer without exporters)'}`, async () => {
      const app = await start('self.ts', {
        BUN_APM_ENDPOINT: sink.url, BUN_APM_INGEST_KEY: sink.ingestKey, BUN_APM_FLUSH_INTERVAL_MS: '600000', BUN_APM_TRACES_PER_SECOND: '1', BUN_APM_SERVICE: `self-${own}`, ...(own ? { OWN: '1' } : {}),
      }, true);
      const n = 12;
      const all: string[] = [];
      const shipped: string[] = [];
      for (let i = 0; i < n; i++) {
        const res = await app.fetch('/relay');
        const { traceId } = (await res.json()) as { traceId: string };
        all.push(traceId);
        // A trace the preload records answers with Server-Timing; with an exporter of its own the tracer's are never its.
        if (res.headers.get('server-timing') !== null) shipped.push(traceId);
      }
      const exported = (await (await app.fetch('/exported')).json()) as Span[];
      app.process.kill('SIGTERM');
      await app.exited;
      const spans = sink.batches.filter((batch) => batch.identity.service === `self-${own}`).flatMap((batch) => batch.spans).filter((span) => all.includes(span.traceId));
      expect(shipped.length).toBeLessThan(n);
      // Was: the tracer's traces continued by the second server as a caller's, its server spans at the edge with no parent there.
      const ids = new Set(spans.map((span) => span.spanId));
      expect(spans.filter((span) => span.parentSpanId !== undefined && !ids.has(span.parentSpanId))).toEqual([]);
      expect([...new Set(spans.map((span) => span.traceId))].sort()).toEqual([...shipped].sort());
      // Each shipped trace whole: the server span, the fetch's client span, the second server's span.
      expect(spans.length).toBe(3 * shipped.length);
      if (own) {
        // The tracer's exporter: every trace whole (its server span, the client span, the second server's), each span once.
        const mine = exported.filter((span) => all.includes(span.traceId));
        expect(mine.length).toBe(3 * n);
        expect(new Set(mine.map((span) => span.spanId)).size).toBe(3 * n);
        const kinds = (traceId: string) => mine.filter((span) => span.traceId === traceId).map((span) => span.kind).sort();
        for (const traceId of all) expect(kinds(traceId)).toEqual(['client', 'server', 'server']);
      }
    }, 60_000);
  }
});
