// The adapters: Hono's app.use() and a plain Bun.serve fetch handler, driven for real.
import { afterEach, expect, test } from 'bun:test';
import { Hono } from 'hono';
import { createBunWebSocket } from 'hono/bun';
import { compose, honoMiddleware, instrument, PerformanceMonitor, performanceMonitor, RequestTracer, requestTracer } from '../../src/middleware/index.ts';

const closers: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

test('Hono: app.use(honoMiddleware(monitor), honoMiddleware(tracer)) counts by route template and traces', async () => {
  const monitor = performanceMonitor({ profiling: { enabled: false } });
  const tracer = requestTracer({ sampleRate: 1 });
  closers.push(monitor.close, tracer.close);
  const app = new Hono<{ Variables: { traceId?: string; spanId?: string } }>();
  app.use(honoMiddleware(monitor), honoMiddleware(tracer));
  app.get('/users/:id', (c) => {
    const child = tracer.createChildSpan(c.get('spanId')!, 'db');
    tracer.finish(child!, 'ok');
    return c.json({ id: c.req.param('id'), traceId: c.get('traceId') });
  });
  app.get('/boom', () => {
    throw new RangeError('boom');
  });
  app.onError((error, c) => c.json({ error: error.message }, 500));
  const users = 7;
  for (let i = 0; i < users; i++) {
    const res = await app.request(`/users/u-${i}`);
    const body = (await res.json()) as { traceId: string };
    expect(res.headers.get('traceparent')).toStartWith(`00-${body.traceId}-`);
  }
  expect((await app.request('/boom')).status).toBe(500);
  expect((await app.request('/nothing')).status).toBe(404);
  const agg = monitor.getAggregatedMetrics(60_000);
  expect(agg.count).toBe(users + 2);
  expect(agg.paths['/users/:id']).toBe(users);
  expect(agg.paths['/boom']).toBe(1);
  expect(agg.statusCodes).toEqual({ '200': users, '404': 1, '500': 1 });
  expect(agg.errors).toBe(1);
  const spans = tracer.getRecentSpans();
  expect(spans.filter((s) => s.name === 'db').length).toBe(users);
  expect(spans.filter((s) => s.kind === 'server').length).toBe(users + 2);
});

test('Hono: a wildcard route is counted under its template, not one route per path; a `*` that only passed on names nothing', async () => {
  const monitor = performanceMonitor({ profiling: { enabled: false } });
  closers.push(monitor.close);
  const app = new Hono();
  app.use(honoMiddleware(monitor));
  app.use('*', async (_, next) => {
    await next();
  });
  app.get('/files/*', (c) => c.text('file'));
  app.get('/num/:id{[0-9]+}', (c) => c.text(c.req.param('id')));
  for (const path of ['/files/a/b/c', '/files/x', '/num/7', '/nothing/here']) await app.request(path);
  const agg = monitor.getAggregatedMetrics(60_000);
  expect(agg.paths).toEqual({ '/files/*': 2, '/num/:id{[0-9]+}': 1, '/nothing/here': 1 });
});

test('Bun.serve: instrument(handler, monitor, tracer) on a real server', async () => {
  const monitor = performanceMonitor({ profiling: { enabled: false } });
  const tracer = requestTracer({ sampleRate: 1 });
  closers.push(monitor.close, tracer.close);
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch: instrument((req) => {
      if (new URL(req.url).pathname === '/fail') return new Response('no', { status: 502 });
      return new Response(`trace ${req.traceId}`);
    }, monitor, tracer),
  });
  closers.push(() => server.stop(true));
  const base = `http://127.0.0.1:${server.port}`;
  const ok = 12;
  for (let i = 0; i < ok; i++) {
    const res = await fetch(`${base}/items/${i}`);
    const text = await res.text();
    expect(res.headers.get('traceparent')).toStartWith(`00-${text.slice(6)}-`);
  }
  expect((await fetch(`${base}/fail`)).status).toBe(502);
  const agg = monitor.getAggregatedMetrics(60_000);
  expect(agg.count).toBe(ok + 1);
  expect(agg.paths['/items/:id']).toBe(ok);
  expect(agg.errors).toBe(1);
  expect(agg.userAgents.families.bun).toBe(ok + 1);
});

test('the classes chain as their middleware do (the README says they work too); anything else is refused where the chain is made', async () => {
  // Instances had passed instrument() and failed every request after with a 500 ("middleware is not a function").
  const monitor = new PerformanceMonitor({ profiling: { enabled: false } });
  const tracer = new RequestTracer({ sampleRate: 1 });
  closers.push(() => monitor.close(), () => tracer.close());
  const server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: instrument((req) => new Response(`trace ${req.traceId}`), monitor, tracer) });
  closers.push(() => server.stop(true));
  const res = await fetch(`http://127.0.0.1:${server.port}/items/1`);
  const text = await res.text();
  expect([res.status, res.headers.get('traceparent')?.slice(3, 35)]).toEqual([200, text.slice(6)]);
  expect(monitor.getAggregatedMetrics(60_000).paths['/items/:id']).toBe(1);
  const app = new Hono();
  app.use(honoMiddleware(monitor));
  app.get('/hono/:id', (c) => c.text('ok'));
  expect((await app.request('/hono/7')).status).toBe(200);
  expect(monitor.getAggregatedMetrics(60_000).paths['/hono/:id']).toBe(1);
  const notMiddleware = { name: 'x' } as never;
  expect(() => compose([monitor, notMiddleware], () => new Response())).toThrow('middleware 1 is not a (req, next) function nor an object with a handle(req, next) method');
  expect(() => instrument(() => new Response(), notMiddleware)).toThrow('middleware 0 is not');
});

test('Hono: an upgrade through upgradeWebSocket (answered with an empty 200 that Bun ignores) is a 101 to the monitor and the tracer', async () => {
  const { upgradeWebSocket, websocket } = createBunWebSocket();
  const monitor = performanceMonitor({ profiling: { enabled: false } });
  const tracer = requestTracer({ sampleRate: 1 });
  closers.push(monitor.close, tracer.close);
  const app = new Hono();
  app.use(honoMiddleware(monitor), honoMiddleware(tracer));
  app.get('/ws/:room', upgradeWebSocket(() => ({ onOpen: (_event, ws) => ws.send('hello') })));
  const server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: app.fetch, websocket });
  closers.push(() => server.stop(true));
  for (let i = 0; i < 3; i++) {
    const socket = new WebSocket(`ws://127.0.0.1:${server.port}/ws/room-${i}`);
    await new Promise<void>((resolve, reject) => {
      socket.onmessage = () => resolve();
      socket.onerror = () => reject(new Error('the WebSocket failed'));
    });
    socket.close();
  }
  await tracer.flush();
  expect(monitor.getRollupCells().map((cell) => [cell.route, cell.statusClass, cell.count])).toEqual([['/ws/:room', '1xx', 3]]);
  expect(tracer.getRecentSpans().filter((span) => span.kind === 'server').map((span) => [span.tags['http.status_code'], span.status])).toEqual([[101, 'unset'], [101, 'unset'], [101, 'unset']]);
});
