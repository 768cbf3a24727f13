// The installed preload on real apps (a Bun.serve `routes` app, Hono, Elysia, a plain fetch handler
// whose routes come from its paths), started the three ways an app can take it — `bun --preload
// bun-apm/preload`, `import 'bun-apm/preload'` as the first line, and that same app compiled with
// `bun build --compile` — counts exactly what was sent, under its route templates, at a local edge
// (the Worker in workerd). At full detail, every record reaches the edge whole, its memory and CPU
// figures carried forward in marked batches and filled in by the edge.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLocalEdge, type LocalEdge } from '../../scripts/local-edge.ts';
import { drive, type Probe } from '../plugin/support/load.ts';
import { Background, consumerEnv, freePort, installApp, pinned, REPO, runOk } from './support/consumer.ts';

const READ_KEY = 'read-consumer-0123456789abcdef';
const PER_APP = 240;

/** tsconfig.json as `bun init` writes it (JSX for React included): the most common host settings. */
const BUN_INIT_TSCONFIG = {
  lib: ['ESNext'], target: 'ESNext', module: 'Preserve', moduleDetection: 'force', jsx: 'react-jsx', allowJs: true,
  moduleResolution: 'bundler', allowImportingTsExtensions: true, verbatimModuleSyntax: true, noEmit: true,
  strict: true, skipLibCheck: true, noFallthroughCasesInSwitch: true, noUncheckedIndexedAccess: true,
};

const example = (name: string) => readFileSync(join(REPO, 'examples', name), 'utf8');

const ROUTES_PROBES: Probe[] = [
  // A static route: Bun gives its string body text/plain, and must still (it was octet-stream under the preload).
  { method: 'GET', path: '/health', status: 200, key: 'GET /health', contentType: 'text/plain;charset=utf-8' },
  { method: 'POST', path: '/users', status: 201, key: 'POST /users', body: '{"name":"Linus"}' },
  { method: 'GET', path: '/users/1', status: 200, key: 'GET /users/:id' },
  // The handler throws; the app's error handler answers 404: counted as that 404, and as an error.
  { method: 'GET', path: '/users/999', status: 404, key: 'GET /users/:id', thrown: true },
  { method: 'GET', path: '/boom', status: 500, key: 'GET /boom' },
  { method: 'GET', path: '/orders/77', status: 200, key: 'GET /orders/:id' },
];

/**
 * A plain fetch handler (no router, no template): bun-apm names each route from its path. Ids of
 * every kind the normaliser knows, several of each route, interleaved: the second id of a route is
 * matched against the route named for the first, where it lies in the URL.
 */
const FETCH_APP = `const server = Bun.serve({
  hostname: process.env.HOST ?? '127.0.0.1',
  port: Number(process.env.PORT ?? 3000),
  fetch: (req) => (new URL(req.url).pathname === '/missing' ? new Response('no', { status: 404 }) : Response.json({ ok: true })),
});
process.on('SIGTERM', () => {
  server.stop();
  process.exit(0);
});
`;
const FETCH_PROBES: Probe[] = [
  ['/users/42', 'GET /users/:id'],
  ['/users/9f0c2a4e-6b1d-4c3e-8f5a-7d2b1e0c9a84', 'GET /users/:id'],
  ['/users/507f1f77bcf86cd799439011', 'GET /users/:id'],
  ['/files/3F2504E0-4F89-11D3-9A0C-0305E82C3301/raw', 'GET /files/:id/raw'],
  ['/files/550e8400-e29b-41d4-a716-446655440000/raw', 'GET /files/:id/raw'],
  ['/sessions/dGhpcyBpcyBhIHRva2VuMTIz', 'GET /sessions/:id'],
  ['/sessions/Zm9vYmFyYmF6cXV4MDk4NzY1', 'GET /sessions/:id'],
  ['/orders/2026-11-29/items?page=2', 'GET /orders/:id/items'],
  ['/people/ada@example.com', 'GET /people/:id'],
  ['/blog/getting-started-with-bun', 'GET /blog/getting-started-with-bun'],
].map(([path, key]) => ({ method: 'GET', path: path!, status: 200, key: key! }));

const HONO_CJS_APP = `const { Hono } = require('hono');
const app = new Hono();
app.get('/', (c) => c.text('home'));
app.get('/users/:id', (c) => c.json({ id: c.req.param('id') }));
app.get('/boom', () => { throw new Error('boom'); });
Bun.serve({ hostname: process.env.HOST, port: Number(process.env.PORT), fetch: app.fetch });
`;

interface Case {
  app: string;
  /** The command that starts it, in the app's directory. */
  command: (port: number) => string[];
  probes: Probe[];
}

const preload = (file: string) => () => [process.execPath, '--preload', 'bun-apm/preload', file];

/** An app at full detail with a profile every 200 ms, so that its records carry memory and CPU figures forward. */
const FULL_DETAIL = 'full-detail';

const CASES: Case[] = [
  { app: 'routes', command: preload('routes-app.ts'), probes: ROUTES_PROBES },
  {
    app: 'hono',
    command: preload('hono-app.ts'),
    probes: [
      { method: 'GET', path: '/', status: 200, key: 'GET /' },
      { method: 'GET', path: '/users/42/posts/7', status: 200, key: 'GET /users/:id/posts/:postId' },
      { method: 'GET', path: '/private', status: 401, key: 'GET /private' },
      { method: 'GET', path: '/boom', status: 500, key: 'GET /boom' },
      { method: 'GET', path: '/api/items/abc', status: 200, key: 'GET /api/items/:itemId' },
    ],
  },
  {
    app: 'elysia',
    command: preload('elysia-app.ts'),
    probes: [
      { method: 'GET', path: '/', status: 200, key: 'GET /' },
      { method: 'GET', path: '/users/1', status: 200, key: 'GET /users/:id' },
      { method: 'GET', path: '/users/999', status: 404, key: 'GET /users/:id' },
      { method: 'POST', path: '/users', status: 201, key: 'POST /users', body: '{"name":"Ada"}' },
      { method: 'GET', path: '/boom', status: 500, key: 'GET /boom' },
    ],
  },
  // CommonJS requiring Hono: left untouched by the route hook (an async or any loader plugin broke
  // require() of it: the app had crashed at start), its routes named from their paths.
  {
    app: 'hono-cjs',
    command: preload('hono-cjs-app.cjs'),
    probes: [
      { method: 'GET', path: '/', status: 200, key: 'GET /' },
      { method: 'GET', path: '/users/42', status: 200, key: 'GET /users/:id' },
      { method: 'GET', path: '/boom', status: 500, key: 'GET /boom' },
    ],
  },
  { app: 'fetch', command: preload('fetch-app.ts'), probes: [...FETCH_PROBES, { method: 'GET', path: '/missing', status: 404, key: 'GET /missing' }] },
  // No flag at all: the app's first line is the import.
  { app: 'first-line', command: () => [process.execPath, 'first-line-app.ts'], probes: ROUTES_PROBES },
  // The same file as one executable: the preload is compiled in with the app.
  { app: 'compiled', command: () => ['./first-line-app'], probes: ROUTES_PROBES },
];

const statusClass = (status: number) => `${Math.floor(status / 100)}xx`;

let edge: LocalEdge;
let dir: string;
const ingestKey = (app: string) => `ingest-${app}-0123456789abcdef`;

beforeAll(async () => {
  [edge, dir] = await Promise.all([
    startLocalEdge({
      bindings: { INGEST_KEYS: [...CASES.map(({ app }) => app), FULL_DETAIL].map((app) => `${app}:${ingestKey(app)}`).join(','), API_KEYS: `*:${READ_KEY}`, ADMIN_API_KEY: 'admin-consumer-0123456789abcdef' },
    }),
    installApp({
      name: 'consumer-preload',
      tsconfig: BUN_INIT_TSCONFIG,
      dependencies: [pinned('hono'), pinned('elysia')],
      files: {
        'routes-app.ts': example('routes-app.ts'),
        'hono-app.ts': example('hono-app.ts'),
        'elysia-app.ts': example('elysia-app.ts'),
        'first-line-app.ts': `import 'bun-apm/preload';\n${example('routes-app.ts')}`,
        'fetch-app.ts': FETCH_APP,
        'hono-cjs-app.cjs': HONO_CJS_APP,
        'full-detail.config.ts': 'export default { profiling: { interval: 200 } };',
      },
    }),
  ]);
  await runOk([process.execPath, 'build', '--compile', 'first-line-app.ts', '--outfile', 'first-line-app'], dir);
}, 180_000);

afterAll(async () => {
  await edge?.dispose();
});

/** Rollup counts stored at the edge for `app`, by `METHOD route statusClass`, and its error count. */
async function storedCounts(app: string): Promise<{ counts: Record<string, number>; errors: number }> {
  const response = await fetch(new URL(`/api/v1/apps/${app}/export.ndjson?from=0&to=${Date.now() + 86_400_000}`, edge.url), { headers: { 'x-api-key': READ_KEY } });
  if (response.status === 404) return { counts: {}, errors: 0 }; // nothing stored yet
  if (response.status !== 200) throw new Error(`export answered ${response.status}: ${await response.text()}`);
  const counts: Record<string, number> = {};
  let errors = 0;
  for (const line of (await response.text()).split('\n')) {
    if (line === '') continue;
    const record = JSON.parse(line);
    if (record.type !== 'rollup' || record.resolution !== 'minute') continue;
    const key = `${record.method} ${record.route} ${record.statusClass}`;
    counts[key] = (counts[key] ?? 0) + record.count;
    errors += record.errors;
  }
  return { counts, errors };
}

describe.each(CASES)('$app', ({ app, command, probes }) => {
  test(`${PER_APP} requests → exactly ${PER_APP} counted at the edge, under their templates`, async () => {
    const port = freePort();
    const server = new Background(command(port), dir, consumerEnv({
      PORT: String(port), HOST: '127.0.0.1', BUN_APM_APP: app, BUN_APM_ENDPOINT: edge.url.href.replace(/\/$/, ''), BUN_APM_INGEST_KEY: ingestKey(app),
      // No flush before the app stops: every count reaches the edge through the final flush at exit.
      BUN_APM_FLUSH_INTERVAL_MS: '600000', BUN_APM_SAMPLE_RATE: '0.1', BUN_APM_TRACE_SAMPLE_RATE: '0',
    }));
    try {
      await server.waitForPort(port);
      const sent = await drive(`http://127.0.0.1:${port}`, probes, PER_APP, 8);
      await server.stop(); // SIGTERM: the last batch goes out before the process ends
      expect(server.out).not.toContain('bun-apm:'); // no warning, no refused setting

      const expected: Record<string, number> = {};
      probes.forEach((probe, i) => {
        const key = `${probe.key} ${statusClass(probe.status)}`;
        expected[key] = (expected[key] ?? 0) + sent[i]!;
      });
      const expectedErrors = probes.reduce((sum, probe, i) => sum + (probe.thrown || probe.status >= 500 ? sent[i]! : 0), 0);
      // The edge has the last batch once its 202 came back, i.e. before the app exited; poll briefly anyway.
      let stored = await storedCounts(app);
      for (let i = 0; i < 40 && Object.values(stored.counts).reduce((a, b) => a + b, 0) < PER_APP; i++) {
        await Bun.sleep(100);
        stored = await storedCounts(app);
      }
      expect(stored.counts).toEqual(expected);
      expect(stored.errors).toBe(expectedErrors);
    } finally {
      await server.stop();
    }
  }, 60_000);
});

describe('full detail through the edge', () => {
  test('every request has its record at the edge, each with the memory and CPU figures it was made under', async () => {
    const port = freePort();
    const server = new Background(preload('routes-app.ts')(), dir, consumerEnv({
      PORT: String(port), HOST: '127.0.0.1', BUN_APM_APP: FULL_DETAIL, BUN_APM_ENDPOINT: edge.url.href.replace(/\/$/, ''), BUN_APM_INGEST_KEY: ingestKey(FULL_DETAIL),
      BUN_APM_CONFIG: 'full-detail.config.ts', BUN_APM_FLUSH_INTERVAL_MS: '200', BUN_APM_SAMPLE_RATE: '1', BUN_APM_TRACE_SAMPLE_RATE: '0',
    }));
    const probes = ROUTES_PROBES.filter((probe) => probe.status < 400);
    let sent = 0;
    try {
      await server.waitForPort(port);
      await Bun.sleep(500); // past the first profile (200 ms after the start): every record has figures to carry
      // In waves over ~1.5 s: batches go every 200 ms, most after the edge's first answer named what it takes.
      for (let wave = 0; wave < 6; wave++) {
        sent += (await drive(`http://127.0.0.1:${port}`, probes, 40, 4)).reduce((a, b) => a + b, 0);
        await Bun.sleep(250);
      }
      await server.stop();
      expect(server.out).not.toContain('bun-apm:');
    } finally {
      await server.stop();
    }
    const read = async () => {
      const response = await fetch(new URL(`/api/v1/apps/${FULL_DETAIL}/samples?from=0&to=${Date.now() + 60_000}&limit=1000`, edge.url), { headers: { 'x-api-key': READ_KEY } });
      expect(response.status).toBe(200);
      return ((await response.json()) as { items: Array<Record<string, unknown>> }).items;
    };
    let items = await read();
    for (let i = 0; i < 40 && items.length < sent; i++) {
      await Bun.sleep(100);
      items = await read();
    }
    expect(items).toHaveLength(sent);
    for (const item of items) {
      expect(item.memoryUsage).toMatchObject({ rss: expect.any(Number), heapUsed: expect.any(Number), heapTotal: expect.any(Number) });
      expect(typeof item.cpuUsage).toBe('number');
    }
  }, 60_000);
});
