// The preload and a RequestTracer in the same processes, two services (svc-a calls svc-b with a plain
// fetch), each tracer shipping to one OTLP collector stand-in: the tracer's backend gets whole,
// linked traces, the preload's client span of the fetch included (the parent svc-b's server span
// names), each span once. And a tracer whose exporter the preload already ships to, under another
// service name, is told so once on stderr.
import { afterAll, afterEach, expect, test } from 'bun:test';
import { startApp, type AppProcess } from '../plugin/support/app-process.ts';
import { writeConfig } from '../plugin/support/config-file.ts';
import { waitFor } from '../plugin/support/wait-for.ts';

interface Received { parent: string | null; kind: number; service: string }
type Otlp = { resourceSpans: Array<{ resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> }; scopeSpans: Array<{ spans: Array<{ spanId: string; parentSpanId?: string; kind: number }> }> }> };

const received = new Map<string, Received>();
let copies = 0;
const collector = Bun.serve({
  hostname: '127.0.0.1',
  port: 0,
  fetch: async (request) => {
    const body = (await request.json()) as Otlp;
    for (const resource of body.resourceSpans) {
      const service = resource.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue ?? '';
      for (const scope of resource.scopeSpans) for (const span of scope.spans) {
        copies++;
        received.set(span.spanId, { parent: span.parentSpanId ?? null, kind: span.kind, service });
      }
    }
    return Response.json({});
  },
});
const endpoint = `http://127.0.0.1:${collector.port}`;
const apps: AppProcess[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.kill()));
  received.clear();
  copies = 0;
});
afterAll(() => collector.stop(true));

const spanOf = (traceparent: string | null) => traceparent!.split('-')[2]!;
/** OTLP's SpanKind: SERVER 2, CLIENT 3. */
const SERVER = 2;
const CLIENT = 3;

test('svc-a → fetch → svc-b: the tracer backend gets svc-a\'s server and client spans and svc-b\'s server span, linked, once each', async () => {
  const env = { BUN_APM_TRACE_SAMPLE_RATE: '1', TRACER_ENDPOINT: endpoint };
  const leaf = await startApp('../test/middleware/tracer-link-app.ts', { env: { ...env, BUN_APM_SERVICE: 'svc-b', TRACER_SERVICE: 'svc-b' } });
  apps.push(leaf);
  const root = await startApp('../test/middleware/tracer-link-app.ts', { env: { ...env, BUN_APM_SERVICE: 'svc-a', TRACER_SERVICE: 'svc-a', LEAF_PORT: String(leaf.port) } });
  apps.push(root);
  const expected = new Map<string, Received>();
  const n = 5;
  for (let i = 0; i < n; i++) {
    const res = await root.fetch('/root');
    const body = (await res.json()) as { incoming: string; leafTraceparent: string };
    // Known from the wire, not from the backend: svc-a's span (its answer), the client span (what svc-b received), svc-b's span (its answer).
    const server = spanOf(res.headers.get('traceparent'));
    const client = spanOf(body.incoming);
    const leafServer = spanOf(body.leafTraceparent);
    expected.set(server, { parent: null, kind: SERVER, service: 'svc-a' });
    expected.set(client, { parent: server, kind: CLIENT, service: 'svc-a' });
    expected.set(leafServer, { parent: client, kind: SERVER, service: 'svc-b' });
  }
  await waitFor(() => (received.size >= 3 * n ? true : undefined), 5000);
  await Bun.sleep(300); // a duplicate would come on the next 100 ms batch
  // Was: svc-b's server spans named a parent (the client span) missing from this backend.
  expect(Object.fromEntries([...received].sort())).toEqual(Object.fromEntries([...expected].sort()));
  expect(copies).toBe(3 * n);
  for (const app of [root, leaf]) expect(app.stderr).not.toContain('serviceName');
}, 30_000);

test('the tracer\'s exporter duplicates the preload\'s under another service name: one stderr line says which wins and how to set it', async () => {
  const config = writeConfig(`export default { exporters: [{ type: 'otlp', endpoint: '${endpoint}', scheduledDelayMs: 100 }] };`);
  const app = await startApp('../test/middleware/tracer-link-app.ts', {
    env: { BUN_APM_TRACE_SAMPLE_RATE: '1', BUN_APM_CONFIG: config, BUN_APM_SERVICE: 'dd-app', TRACER_ENDPOINT: endpoint, TRACER_SERVICE: 'svc-x' },
  });
  apps.push(app);
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) {
    const res = await app.fetch('/leaf');
    await res.text();
    ids.push(spanOf(res.headers.get('traceparent')));
  }
  await waitFor(() => (received.size >= 3 ? true : undefined), 5000);
  await Bun.sleep(300);
  // Each span once, under the preload's service: the warning's word.
  expect([...received.keys()].sort()).toEqual([...ids].sort());
  expect(copies).toBe(3);
  expect(new Set([...received.values()].map((span) => span.service))).toEqual(new Set(['dd-app']));
  const lines = app.stderr.split('\n').filter((line) => line.includes('serviceName'));
  expect(lines).toEqual([
    'bun-apm: requestTracer: serviceName "svc-x" is not used for 1 exporter(s) the preload already ships to: their spans go once, under the preload\'s service "dd-app"; set BUN_APM_SERVICE=svc-x to name the process\'s spans "svc-x"',
  ]);
}, 30_000);

test('the same duplicate under the same service name says nothing', async () => {
  const config = writeConfig(`export default { exporters: [{ type: 'otlp', endpoint: '${endpoint}', scheduledDelayMs: 100 }] };`);
  const app = await startApp('../test/middleware/tracer-link-app.ts', {
    env: { BUN_APM_TRACE_SAMPLE_RATE: '1', BUN_APM_CONFIG: config, BUN_APM_SERVICE: 'svc-x', TRACER_ENDPOINT: endpoint, TRACER_SERVICE: 'svc-x' },
  });
  apps.push(app);
  await (await app.fetch('/leaf')).text();
  await waitFor(() => (received.size >= 1 ? true : undefined), 5000);
  expect(app.stderr).not.toContain('serviceName');
}, 30_000);
