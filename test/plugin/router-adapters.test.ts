// The router adapters, in real apps under the real preload: each names its routes from what the
// router exposes (Hono's c.req.routePath, bun-router's patterns through the wrapper, Elysia's
// context.route for an app served through `fetch`), also when the installed router is a version the
// source patch refuses; then the preload says so in one line and, without the adapter, the
// normaliser names the routes. The "other version" is a copy of the installed router with its
// package.json's version changed, in a throwaway app folder.
import { afterAll, describe, expect, test } from 'bun:test';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { statusClassOf } from '../../src/core/wire-format.ts';
import { AppProcess, freePort, REPO } from './support/app-process.ts';
import { IngestSink } from './support/ingest-sink.ts';
import { waitFor } from './support/wait-for.ts';

const MIDDLEWARE = join(REPO, 'src', 'middleware', 'index.ts');
const PRELOAD = join(REPO, 'src', 'plugin', 'preload.ts');
const EACH = 4;

interface Probe {
  path: string;
  status: number;
  /** The route it is counted under with the adapter, and without it (the normaliser's). */
  adapter: string;
  normalised: string;
}

const HONO_APP = `import { Hono } from 'hono';
import { honoRoutes } from ${JSON.stringify(MIDDLEWARE)};
const app = new Hono();
if (process.env.ADAPTER === 'on') app.use(honoRoutes());
app.use('*', async (c, next) => { await next(); c.header('x-app', 'adapters'); });
app.get('/', (c) => c.text('home'));
app.get('/items/:itemId', (c) => c.json({ item: c.req.param('itemId') }));
app.get('/users/:id/posts/:postId', (c) => c.json({ user: c.req.param('id'), post: c.req.param('postId') }));
app.get('/boom', () => { throw new RangeError('boom'); });
app.get('/files/*', (c) => c.text('file'));
app.get('/num/:id{[0-9]+}', (c) => c.text(c.req.param('id')));
app.get('/opt/:x?', (c) => c.text('opt'));
app.use('/admin/*', async (c, next) => { if (!c.req.header('x-admin')) return c.text('no', 401); await next(); });
app.get('/admin/users/:id', (c) => c.text('admin'));
// Middleware that refuses by throwing (bearerAuth, an HTTPException) names the route it kept the request from too.
app.use('/thrown/*', async () => { throw new RangeError('refused'); });
app.get('/thrown/x/:tid', (c) => c.text('never'));
// An app.all route is a route, and a route whose handler takes next is preferred to a later catch-all.
app.use('/rl/*', async (c) => c.text('slow down', 429));
app.all('/rl/all/:aid', (c) => c.text('all'));
app.get('/rl/nx/:nid', async (c, next) => c.text('nx'));
app.get('/rl/*', (c) => c.text('catch-all'));
// A sub-app routed at a tenant's path, with middleware of its own: its 404s are one route, not one per tenant.
const tenant = new Hono();
tenant.use('*', async (c, next) => { await next(); });
tenant.get('/orders/:oid', (c) => c.text('order'));
app.route('/t/:tenant', tenant);
const api = new Hono();
api.get('/things/:thing', async (c) => { await Bun.sleep(1); return c.json({ thing: c.req.param('thing') }); });
app.route('/api', api);
app.onError((error, c) => c.json({ error: error.message }, 500));
export default { hostname: '127.0.0.1', port: Number(process.env.PORT), fetch: app.fetch };
`;

const HONO_PROBES: Probe[] = [
  { path: '/', status: 200, adapter: '/', normalised: '/' },
  { path: '/items/abc', status: 200, adapter: '/items/:itemId', normalised: '/items/abc' },
  { path: '/users/42/posts/7', status: 200, adapter: '/users/:id/posts/:postId', normalised: '/users/:id/posts/:id' },
  { path: '/boom', status: 500, adapter: '/boom', normalised: '/boom' },
  { path: '/api/things/xyz', status: 200, adapter: '/api/things/:thing', normalised: '/api/things/xyz' },
  // A wildcard route is one template, not one route per path (a review found /files/a/b/c kept as is);
  // a regex or an optional parameter is named as registered, by the patch and the adapter alike.
  { path: '/files/a/b/c', status: 200, adapter: '/files/*', normalised: '/files/a/b/c' },
  { path: '/files/x', status: 200, adapter: '/files/*', normalised: '/files/x' },
  { path: '/num/42', status: 200, adapter: '/num/:id{[0-9]+}', normalised: '/num/:id' },
  { path: '/opt', status: 200, adapter: '/opt/:x?', normalised: '/opt' },
  { path: '/opt/y', status: 200, adapter: '/opt/:x?', normalised: '/opt/y' },
  // Middleware on a wildcard that answered first: the route it kept the request from
  // (c.req.matchedRoutes), by the patch and the adapter alike (a 401, a 429 named by its route).
  { path: '/admin/users/5', status: 401, adapter: '/admin/users/:id', normalised: '/admin/users/:id' },
  { path: '/thrown/x/abc', status: 500, adapter: '/thrown/x/:tid', normalised: '/thrown/x/abc' },
  { path: '/rl/all/abc', status: 429, adapter: '/rl/all/:aid', normalised: '/rl/all/abc' },
  { path: '/rl/nx/abc', status: 429, adapter: '/rl/nx/:nid', normalised: '/rl/nx/abc' },
  // Only passed on by the `*` middleware, to Hono's 404: no template, the path is normalised.
  { path: '/nothing/here', status: 404, adapter: '/nothing/here', normalised: '/nothing/here' },
  // Passed on to the 404 by middleware under a parameter: its wildcard, whichever the tenant.
  { path: '/t/acme/orders/o1', status: 200, adapter: '/t/:tenant/orders/:oid', normalised: '/t/acme/orders/o1' },
  { path: '/t/acme/nope', status: 404, adapter: '/t/:tenant/*', normalised: '/t/acme/nope' },
  { path: '/t/beta/nope/deeper', status: 404, adapter: '/t/:tenant/*', normalised: '/t/beta/nope/deeper' },
];

const BUN_ROUTER_APP = `import { http, Router } from 'bun-router';
import { bunRouterRoutes } from ${JSON.stringify(MIDDLEWARE)};
const plain = Router(Number(process.env.PORT), { hostname: '127.0.0.1' });
const router = process.env.ADAPTER === 'on' ? bunRouterRoutes(plain) : plain;
router.get('/', () => http.ok('home'));
router.get('/items/:itemId', (ctx) => http.json(200, { item: ctx.params.get('itemId') }));
router.get('/users/:id/orders/:orderId', async (ctx) => { await Bun.sleep(1); return http.json(200, { user: ctx.params.get('id') }); });
router.serve();
`;

const BUN_ROUTER_PROBES: Probe[] = [
  { path: '/', status: 200, adapter: '/', normalised: '/' },
  { path: '/items/abc', status: 200, adapter: '/items/:itemId', normalised: '/items/abc' },
  { path: '/users/42/orders/9', status: 200, adapter: '/users/:id/orders/:orderId', normalised: '/users/:id/orders/:id' },
];

const ELYSIA_APP = `import { Elysia } from 'elysia';
import { elysiaRoutes } from ${JSON.stringify(MIDDLEWARE)};
const base = new Elysia();
const app = (process.env.ADAPTER === 'on' ? elysiaRoutes(base) : base)
  .get('/', () => 'home')
  .get('/items/:itemId', ({ params }) => ({ item: params.itemId }))
  .get('/users/:id/posts/:postId', async ({ params }) => { await Bun.sleep(1); return params; })
  .get('/boom', () => { throw new RangeError('boom'); })
  .get('/docs/*', () => 'docs')
  .all('/any/:name', ({ params }) => params.name);
// Through fetch, not app.listen: Bun.serve gets no routes table, so only the adapter knows the templates.
Bun.serve({ hostname: '127.0.0.1', port: Number(process.env.PORT), fetch: app.fetch });
`;

const ELYSIA_PROBES: Probe[] = [
  { path: '/', status: 200, adapter: '/', normalised: '/' },
  { path: '/items/abc', status: 200, adapter: '/items/:itemId', normalised: '/items/abc' },
  { path: '/users/42/posts/7', status: 200, adapter: '/users/:id/posts/:postId', normalised: '/users/:id/posts/:id' },
  { path: '/boom', status: 500, adapter: '/boom', normalised: '/boom' },
  { path: '/docs/intro', status: 200, adapter: '/docs/*', normalised: '/docs/intro' },
  { path: '/docs/setup', status: 200, adapter: '/docs/*', normalised: '/docs/setup' },
  { path: '/any/alice', status: 200, adapter: '/any/:name', normalised: '/any/alice' },
];

// Elysia's listen(): its plain routes reach Bun.serve's table; a WebSocket route answers its upgrade
// with a 200 Response that Bun ignores, and is counted as the 101 it is.
const ELYSIA_WS_APP = `import { Elysia } from 'elysia';
new Elysia()
  .get('/items/:itemId', ({ params }) => ({ item: params.itemId }))
  .ws('/ws', { open(ws) { ws.send('hello'); } })
  .listen({ hostname: '127.0.0.1', port: Number(process.env.PORT) });
`;

const dirs: string[] = [];
const apps: AppProcess[] = [];
const sinks: IngestSink[] = [];
afterAll(async () => {
  await Promise.all(apps.map((app) => app.kill()));
  await Promise.all(sinks.map((sink) => sink.stop()));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** An app folder whose node_modules is this repository's, except `router`: a copy that says it is `version`. */
function appFolder(router: string, version: string, source: string): string {
  const dir = mkdtempSync(join(tmpdir(), `bun-apm-${router}-`));
  dirs.push(dir);
  const modules = join(dir, 'node_modules');
  cpSync(join(REPO, 'node_modules', router), join(modules, router), { recursive: true, dereference: true });
  const pkgPath = join(modules, router, 'package.json');
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { version: string };
  pkg.version = version;
  writeFileSync(pkgPath, JSON.stringify(pkg, null, 2));
  for (const entry of readdirSync(join(REPO, 'node_modules'))) {
    if (entry === router || entry.startsWith('.')) continue;
    symlinkSync(join(REPO, 'node_modules', entry), join(modules, entry));
  }
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `adapter-${router}`, private: true, type: 'module' }));
  writeFileSync(join(dir, 'app.ts'), source);
  return dir;
}

async function start(dir: string, router: string, env: Record<string, string>): Promise<AppProcess> {
  const port = freePort();
  const base: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined && !key.startsWith('BUN_APM_')) base[key] = value;
  const conditions = router === 'bun-router' ? ['--conditions=browser'] : [];
  const child = Bun.spawn([process.execPath, ...conditions, '--preload', PRELOAD, 'app.ts'], {
    cwd: dir,
    env: { ...base, NO_COLOR: '1', PORT: String(port), ...env },
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const app = new AppProcess(child, port);
  apps.push(app);
  const ready = await waitFor(async () => {
    if (child.exitCode !== null) return 'exited';
    try {
      const socket = await Bun.connect({ hostname: '127.0.0.1', port, socket: { data() {} } });
      socket.end();
      return 'ready';
    } catch {
      return undefined;
    }
  }, 15_000);
  if (ready !== 'ready') throw new Error(`app did not start (${ready ?? 'timeout'}):\n${app.stderr}`);
  return app;
}

/** Drives each probe EACH times, stops the app (its final batch goes out) and returns the counts by `route status-class`. */
async function countedRoutes(app: AppProcess, sink: IngestSink, probes: Probe[]): Promise<Record<string, number>> {
  for (let round = 0; round < EACH; round++) {
    for (const probe of probes) {
      const response = await app.fetch(probe.path);
      await response.arrayBuffer();
      expect(response.status).toBe(probe.status);
    }
  }
  app.process.kill('SIGTERM');
  await app.exited;
  expect(sink.problems).toEqual([]);
  const counted: Record<string, number> = {};
  for (const batch of sink.batches) {
    for (const cell of batch.rollups) {
      const key = `${cell.method} ${cell.route} ${cell.statusClass}`;
      counted[key] = (counted[key] ?? 0) + cell.count;
    }
  }
  return counted;
}

function expected(probes: Probe[], which: 'adapter' | 'normalised' | 'patched'): Record<string, number> {
  const out: Record<string, number> = {};
  for (const probe of probes) {
    const key = `GET ${which === 'patched' ? probe.adapter : probe[which]} ${statusClassOf(probe.status)}`;
    out[key] = (out[key] ?? 0) + EACH;
  }
  return out;
}

const CASES = [
  { router: 'hono', version: '9.0.0', range: '4.x', source: HONO_APP, probes: HONO_PROBES },
  { router: 'bun-router', version: '0.9.0', range: '0.8.x', source: BUN_ROUTER_APP, probes: BUN_ROUTER_PROBES },
];

describe.each(CASES)('$router adapter', ({ router, version, range, source, probes }) => {
  for (const adapter of ['on', 'off'] as const) {
    test(`${router} ${version} (not ${range}): the preload says in one line that it will not patch; with the adapter ${adapter}, routes are ${adapter === 'on' ? 'named from the router' : 'normalised'}`, async () => {
      const sink = new IngestSink().start();
      sinks.push(sink);
      const dir = appFolder(router, version, source);
      const app = await start(dir, router, {
        ADAPTER: adapter,
        BUN_APM_ENDPOINT: sink.url,
        BUN_APM_INGEST_KEY: sink.ingestKey,
        BUN_APM_FLUSH_INTERVAL_MS: '300',
      });
      const counted = await countedRoutes(app, sink, probes);
      expect(counted).toEqual(expected(probes, adapter === 'on' ? 'adapter' : 'normalised'));
      const lines = app.stderr.split('\n').filter((line) => line.includes(router));
      expect(lines).toEqual([
        `bun-apm: ${router} ${version} is not a version bun-apm's route hook was written for (${range}): ` +
          `requests answered by ${router} routes are keyed by their normalised path (ids, UUIDs and hashes become :id), unless ` +
          (router === 'hono'
            ? "app.use(honoRoutes()) from 'bun-apm/middleware' names them from c.req.routePath"
            : "bunRouterRoutes(Router(…)) from 'bun-apm/middleware' names them from the patterns it registers"),
      ]);
    }, 60_000);
  }

  test(`${router} as installed, with the adapter: the patch and the adapter agree, and nothing is said`, async () => {
    const sink = new IngestSink().start();
    sinks.push(sink);
    const installed = (JSON.parse(readFileSync(join(REPO, 'node_modules', router, 'package.json'), 'utf8')) as { version: string }).version;
    const dir = appFolder(router, installed, source);
    const app = await start(dir, router, { ADAPTER: 'on', BUN_APM_ENDPOINT: sink.url, BUN_APM_INGEST_KEY: sink.ingestKey, BUN_APM_FLUSH_INTERVAL_MS: '300' });
    expect(await countedRoutes(app, sink, probes)).toEqual(expected(probes, 'patched'));
    expect(app.stderr.split('\n').filter((line) => line.includes(router))).toEqual([]);
  }, 60_000);

  if (router === 'hono') {
    test('hono as installed, without the adapter: the patch alone names what the adapter does (a refusal thrown by middleware too)', async () => {
      const sink = new IngestSink().start();
      sinks.push(sink);
      const installed = (JSON.parse(readFileSync(join(REPO, 'node_modules', router, 'package.json'), 'utf8')) as { version: string }).version;
      const dir = appFolder(router, installed, source);
      const app = await start(dir, router, { ADAPTER: 'off', BUN_APM_ENDPOINT: sink.url, BUN_APM_INGEST_KEY: sink.ingestKey, BUN_APM_FLUSH_INTERVAL_MS: '300' });
      expect(await countedRoutes(app, sink, probes)).toEqual(expected(probes, 'patched'));
    }, 60_000);
  }
});

describe('elysia adapter (an app served through fetch, so no routes table reaches Bun.serve)', () => {
  const installed = () => (JSON.parse(readFileSync(join(REPO, 'node_modules', 'elysia', 'package.json'), 'utf8')) as { version: string }).version;
  for (const adapter of ['on', 'off'] as const) {
    test(`with the adapter ${adapter}, routes are ${adapter === 'on' ? "named from Elysia's context.route" : 'normalised'}; nothing is said`, async () => {
      const sink = new IngestSink().start();
      sinks.push(sink);
      const dir = appFolder('elysia', installed(), ELYSIA_APP);
      const app = await start(dir, 'elysia', { ADAPTER: adapter, BUN_APM_ENDPOINT: sink.url, BUN_APM_INGEST_KEY: sink.ingestKey, BUN_APM_FLUSH_INTERVAL_MS: '300' });
      expect(await countedRoutes(app, sink, ELYSIA_PROBES)).toEqual(expected(ELYSIA_PROBES, adapter === 'on' ? 'adapter' : 'normalised'));
      expect(app.stderr.split('\n').filter((line) => line.includes('bun-apm'))).toEqual([]);
    }, 60_000);
  }
});

describe('elysia with listen()', () => {
  test('a WebSocket upgrade is counted as a 101 (Elysia answers it with a 200 that Bun ignores), its routes by template', async () => {
    const sink = new IngestSink().start();
    sinks.push(sink);
    const installed = (JSON.parse(readFileSync(join(REPO, 'node_modules', 'elysia', 'package.json'), 'utf8')) as { version: string }).version;
    const dir = appFolder('elysia', installed, ELYSIA_WS_APP);
    const app = await start(dir, 'elysia', { BUN_APM_ENDPOINT: sink.url, BUN_APM_INGEST_KEY: sink.ingestKey, BUN_APM_FLUSH_INTERVAL_MS: '300' });
    const sockets = 3;
    for (let i = 0; i < sockets; i++) {
      const socket = new WebSocket(`ws://127.0.0.1:${app.port}/ws`);
      const greeting = await new Promise<string>((resolve, reject) => {
        socket.onmessage = (event) => resolve(String(event.data));
        socket.onerror = () => reject(new Error('the WebSocket failed'));
      });
      expect(greeting).toBe('hello');
      socket.close();
    }
    for (let i = 0; i < 2; i++) expect((await app.fetch(`/items/${i}`)).status).toBe(200);
    app.process.kill('SIGTERM');
    await app.exited;
    const counted: Record<string, number> = {};
    for (const batch of sink.batches) for (const cell of batch.rollups) counted[`${cell.method} ${cell.route} ${cell.statusClass}`] = (counted[`${cell.method} ${cell.route} ${cell.statusClass}`] ?? 0) + cell.count;
    expect(counted).toEqual({ 'GET /ws 1xx': sockets, 'GET /items/:itemId 2xx': 2 });
  }, 60_000);
});

// A router's WebSocket route upgrades inside its handler; the route is named once the handler has
// answered, so the 101 is counted then (it had been counted at the upgrade, under the raw path: one
// route per room, found by a review).
const HONO_WS_APP = `import { Hono } from 'hono';
import { createBunWebSocket } from 'hono/bun';
const { upgradeWebSocket, websocket } = createBunWebSocket();
const app = new Hono();
app.get('/rooms/:room/ws', upgradeWebSocket((c) => ({ onOpen(_event, ws) { ws.send('hello ' + c.req.param('room')); } })));
Bun.serve({ hostname: '127.0.0.1', port: Number(process.env.PORT), fetch: app.fetch, websocket });
`;

const ELYSIA_FETCH_WS_APP = `import { Elysia } from 'elysia';
import { elysiaRoutes } from ${JSON.stringify(MIDDLEWARE)};
elysiaRoutes(new Elysia()).ws('/rooms/:room/ws', { open(ws) { ws.send('hello ' + ws.data.params.room); } })
  .listen({ hostname: '127.0.0.1', port: Number(process.env.PORT) });
`;

// A handler that goes on awaiting after its upgrade (here, forever): the client has its 101 at once,
// and so is it counted, not when (if ever) the handler settles (a review: 50 upgrades never counted,
// the in-flight gauge stuck at 50, all lost at exit).
const AWAITING_WS_APP = `Bun.serve({
  hostname: '127.0.0.1', port: Number(process.env.PORT),
  async fetch(req, server) {
    if (server.upgrade(req)) await new Promise(() => {});
    return new Response('no upgrade', { status: 400 });
  },
  websocket: { open(ws) { ws.send('hello'); }, message() {} },
});
`;

describe('WebSocket routes of routers', () => {
  test('a handler still awaiting after its upgrade: the 101 is counted at once, and reaches the edge at exit', async () => {
    const sink = new IngestSink().start();
    sinks.push(sink);
    const installed = (JSON.parse(readFileSync(join(REPO, 'node_modules', 'hono', 'package.json'), 'utf8')) as { version: string }).version;
    const app = await start(appFolder('hono', installed, AWAITING_WS_APP), 'hono', { BUN_APM_ENDPOINT: sink.url, BUN_APM_INGEST_KEY: sink.ingestKey, BUN_APM_FLUSH_INTERVAL_MS: '60000' });
    const sockets = 5;
    for (let i = 0; i < sockets; i++) {
      const socket = new WebSocket(`ws://127.0.0.1:${app.port}/live/${i}`);
      await new Promise<void>((resolve, reject) => {
        socket.onmessage = () => resolve();
        socket.onerror = () => reject(new Error('the WebSocket failed'));
      });
    }
    app.process.kill('SIGTERM');
    await app.exited;
    const counted: Record<string, number> = {};
    for (const batch of sink.batches) for (const cell of batch.rollups) counted[`${cell.method} ${cell.route} ${cell.statusClass}`] = (counted[`${cell.method} ${cell.route} ${cell.statusClass}`] ?? 0) + cell.count;
    expect(counted).toEqual({ 'GET /live/:id 1xx': sockets });
  }, 60_000);

  for (const [router, source] of [['hono', HONO_WS_APP], ['elysia', ELYSIA_FETCH_WS_APP]] as const) {
    test(`${router}: each upgrade is a 101 under the route's template`, async () => {
      const sink = new IngestSink().start();
      sinks.push(sink);
      const installed = (JSON.parse(readFileSync(join(REPO, 'node_modules', router, 'package.json'), 'utf8')) as { version: string }).version;
      const app = await start(appFolder(router, installed, source), router, { BUN_APM_ENDPOINT: sink.url, BUN_APM_INGEST_KEY: sink.ingestKey, BUN_APM_FLUSH_INTERVAL_MS: '300' });
      const rooms = ['lobby', 'kitchen', 'garden'];
      for (const room of rooms) {
        const socket = new WebSocket(`ws://127.0.0.1:${app.port}/rooms/${room}/ws`);
        const greeting = await new Promise<string>((resolve, reject) => {
          socket.onmessage = (event) => resolve(String(event.data));
          socket.onerror = () => reject(new Error('the WebSocket failed'));
        });
        expect(greeting).toBe(`hello ${room}`);
        socket.close();
      }
      app.process.kill('SIGTERM');
      await app.exited;
      const counted: Record<string, number> = {};
      for (const batch of sink.batches) for (const cell of batch.rollups) counted[`${cell.method} ${cell.route} ${cell.statusClass}`] = (counted[`${cell.method} ${cell.route} ${cell.statusClass}`] ?? 0) + cell.count;
      expect(counted).toEqual({ 'GET /rooms/:room/ws 1xx': rooms.length });
    }, 60_000);
  }
});
