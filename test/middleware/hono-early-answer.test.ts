// Hono middleware that answers before the route runs (a rate limit's 429, an auth 401) names the
// request by the route it would have reached, not by the middleware's pattern (`/*`, `/guarded/*`):
// a review found every refused request of an app under one `GET /*`.
import { afterEach, expect, test } from 'bun:test';
import { Hono } from 'hono';
import { honoMiddleware, performanceMonitor } from '../../src/middleware/index.ts';

const closers: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

test('Hono: a request answered by app.use middleware is counted under the route it would have reached', async () => {
  const monitor = performanceMonitor({ profiling: { enabled: false } });
  closers.push(monitor.close);
  const app = new Hono();
  app.use(honoMiddleware(monitor));
  app.use('*', async (c, next) => {
    if (c.req.header('x-rl')) return c.text('slow down', 429);
    await next();
  });
  app.use('/guarded/*', async (c, next) => {
    if (!c.req.header('x-key')) return c.text('no', 401);
    await next();
  });
  // A method's own middleware before its route: the route is the one that answers.
  app.get('/api/*', async (_, next) => {
    await next();
  });
  app.get('/api/things/:thing', (c) => c.text('thing'));
  app.get('/items/:id', (c) => c.text('item'));
  app.get('/guarded/:g', (c) => c.text('guarded'));
  // An app.all route is a route (Hono registers it as ALL, like app.use); so is one whose handler takes next.
  app.all('/all/:aid', (c) => c.text('all'));
  app.get('/nx/:nid', async (c, next) => c.text('nx'));
  // A fallback registered last (a SPA's static files) is not the route a refused /items/:id wanted.
  app.get('*', async (c, next) => {
    await next();
    if (c.res.status === 404) c.res = c.text('spa');
  });
  const status = async (path: string, headers: Record<string, string> = {}) => (await app.request(path, { headers })).status;
  expect(await status('/items/1')).toBe(200);
  // Ids the normaliser would leave as they are: only the route can name these.
  expect(await status('/items/alpha', { 'x-rl': '1' })).toBe(429);
  expect(await status('/items/beta', { 'x-rl': '1' })).toBe(429);
  expect(await status('/guarded/a')).toBe(401);
  expect(await status('/guarded/b')).toBe(401);
  expect(await status('/guarded/c', { 'x-key': 'k' })).toBe(200);
  expect(await status('/api/things/x', { 'x-rl': '1' })).toBe(429);
  expect(await status('/all/alpha', { 'x-rl': '1' })).toBe(429);
  expect(await status('/all/beta')).toBe(200);
  expect(await status('/nx/alpha', { 'x-rl': '1' })).toBe(429);
  const agg = monitor.getAggregatedMetrics(60_000);
  expect(agg.paths).toEqual({ '/items/:id': 3, '/guarded/:g': 3, '/api/things/:thing': 1, '/all/:aid': 2, '/nx/:nid': 1 });
});
