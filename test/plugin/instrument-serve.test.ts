// Bun.serve options instrumented in-process and served for real, side by side with the same options
// served plain: the client must see the same thing, and the recorder must count it under the template.
import { afterAll, describe, expect, test } from 'bun:test';
import { Hono } from 'hono';
import { mkdtempSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLog } from '../../src/plugin/runtime/log.ts';
import { instrumentOptions, instrumentServe } from '../../src/plugin/preload/instrument-serve.ts';
import { testRecorder } from './support/recorder.ts';
import { waitFor } from './support/wait-for.ts';

type Server = ReturnType<typeof Bun.serve>;
const servers: Server[] = [];
afterAll(async () => {
  await Promise.all(servers.map((server) => server.stop(true)));
});

const log = createLog(false, () => {});

function pair(make: () => Parameters<typeof Bun.serve>[0]) {
  const { recorder } = testRecorder();
  const plain = Bun.serve({ ...make(), hostname: '127.0.0.1', port: 0 } as never);
  const options = { ...make(), hostname: '127.0.0.1', port: 0 };
  const monitored = Bun.serve(instrumentOptions(options, recorder, log) as never);
  servers.push(plain, monitored);
  return { plain, monitored, recorder, options };
}

const counted = (recorder: ReturnType<typeof testRecorder>['recorder']) =>
  Object.fromEntries(recorder.drain().rollups.map((c) => [`${c.method} ${c.route} ${c.statusClass}`, c.count]));

async function both(plain: Server, monitored: Server, path: string, init?: RequestInit) {
  const [a, b] = await Promise.all([fetch(new URL(path, plain.url), init), fetch(new URL(path, monitored.url), init)]);
  return { plain: { status: a.status, body: await a.text(), headers: a.headers }, monitored: { status: b.status, body: await b.text(), headers: b.headers } };
}

/** Bun.serve as the preload replaces it: the server, its reload and its upgrade instrumented. */
function serveInstrumented(recorder: ReturnType<typeof testRecorder>['recorder'], options: unknown, warn = log): Server {
  const undo = instrumentServe(recorder, warn);
  try {
    const server = Bun.serve(options as never) as Server;
    servers.push(server);
    return server;
  } finally {
    undo();
  }
}

/** Opens a WebSocket, waits for the server's first message, and closes it. */
async function greeting(url: string): Promise<string> {
  const socket = new WebSocket(url);
  const message = await new Promise<string>((resolve, reject) => {
    socket.onmessage = (event) => resolve(String(event.data));
    socket.onerror = () => reject(new Error('the WebSocket failed'));
  });
  socket.close();
  return message;
}

describe('instrumented Bun.serve options', () => {
  test('static Response routes: same body, same ETag as Bun computes, 304 on If-None-Match; counted', async () => {
    const { plain, monitored, recorder } = pair(() => ({
      routes: { '/health': new Response('OK', { headers: { 'x-kind': 'static' } }), '/empty': new Response('') },
      fetch: () => new Response('fallback', { status: 404 }),
    }));
    // The ETag is computed off the request path, a microtask or two after start: wait for it, then start counting.
    expect(await waitFor(async () => (await fetch(new URL('/health', monitored.url))).headers.get('etag') ?? undefined, 2_000)).toBeDefined();
    recorder.drain();
    const first = await both(plain, monitored, '/health');
    expect(first.monitored.status).toBe(first.plain.status);
    expect(first.monitored.body).toBe(first.plain.body);
    expect(first.monitored.headers.get('etag')).toBe(first.plain.headers.get('etag'));
    expect(first.monitored.headers.get('x-kind')).toBe('static');
    const etag = first.plain.headers.get('etag')!;
    const revalidated = await both(plain, monitored, '/health', { headers: { 'if-none-match': etag } });
    expect(revalidated.monitored.status).toBe(304);
    expect(revalidated.plain.status).toBe(304);
    expect(revalidated.monitored.body).toBe('');
    const empty = await both(plain, monitored, '/empty');
    expect(empty.monitored.headers.get('etag')).toBe(empty.plain.headers.get('etag'));
    expect(counted(recorder)).toEqual({ 'GET /health 2xx': 1, 'GET /health 3xx': 1, 'GET /empty 2xx': 1 });
  });

  test('static routes of every body kind answer as plain Bun answers them: type, ETag or Last-Modified, HEAD, ranges, 304s', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bun-apm-static-'));
    const path = join(dir, 'data.txt');
    writeFileSync(path, 'v1\n');
    const { plain, monitored } = pair(() => ({
      routes: {
        '/text': new Response('OK'),
        '/typed': new Response(new Blob(['<svg/>'], { type: 'image/svg+xml' })),
        '/file': new Response(Bun.file(path), { headers: { 'x-kind': 'file' } }),
        // A file that is not there: Bun's empty 404 (found by a review: a 500 and a dev error page).
        '/missing': Bun.file(join(dir, 'missing.txt')),
        '/missing-response': new Response(Bun.file(join(dir, 'missing-too.txt'))),
      },
      fetch: () => new Response('fallback', { status: 404 }),
    }));
    await waitFor(async () => (await fetch(new URL('/text', monitored.url))).headers.get('etag') ?? undefined, 2_000);
    const sameHeaders = (got: { plain: { headers: Headers }; monitored: { headers: Headers } }) => {
      const of = (headers: Headers) => Object.fromEntries([...headers].filter(([name]) => name !== 'date'));
      expect(of(got.monitored.headers)).toEqual(of(got.plain.headers));
    };
    for (const route of ['/text', '/typed', '/file', '/missing', '/missing-response']) {
      for (const method of ['GET', 'HEAD']) {
        const got = await both(plain, monitored, route, { method });
        expect(got.monitored.status).toBe(got.plain.status);
        expect(got.monitored.body).toBe(got.plain.body);
        sameHeaders(got);
        // A Date where Bun's answer has one, though its second may differ (a file's HEAD had lost it).
        expect(`${route} ${method} ${got.monitored.headers.has('date')}`).toBe(`${route} ${method} ${got.plain.headers.has('date')}`);
      }
    }
    // Conditional requests: a matching ETag answers a GET with 304 (its type kept), a POST with the body;
    // `If-None-Match: *` answers a file's GET with 304.
    const etag = (await both(plain, monitored, '/text')).plain.headers.get('etag')!;
    for (const [method, route, ifNoneMatch, status] of [['GET', '/text', etag, 304], ['POST', '/text', etag, 200], ['GET', '/file', '*', 304], ['POST', '/file', '*', 200]] as const) {
      const got = await both(plain, monitored, route, { method, headers: { 'if-none-match': ifNoneMatch } });
      expect([got.plain.status, got.monitored.status]).toEqual([status, status]);
      expect(got.monitored.body).toBe(got.plain.body);
      sameHeaders(got);
    }
    const range = await both(plain, monitored, '/file', { headers: { range: 'bytes=1-2' } });
    expect([range.monitored.status, range.monitored.body]).toEqual([206, '1\n']);
    sameHeaders(range);
    // A file is served as it is now (Bun reads it per request), never as it was at start.
    await Bun.sleep(1_100); // a new Last-Modified second
    writeFileSync(path, 'v2, changed\n');
    const changed = await both(plain, monitored, '/file');
    expect(changed.monitored.body).toBe('v2, changed\n');
    sameHeaders(changed);
    const lastModified = changed.plain.headers.get('last-modified')!;
    const fresh = await both(plain, monitored, '/file', { headers: { 'if-modified-since': lastModified } });
    expect([fresh.plain.status, fresh.monitored.status]).toEqual([304, 304]);
    sameHeaders(fresh);
    const stale = await both(plain, monitored, '/file', { headers: { 'if-modified-since': new Date(Date.parse(lastModified) - 5_000).toUTCString() } });
    expect([stale.plain.status, stale.monitored.status]).toEqual([200, 200]);
  });

  test('a static route of a 64 MiB file is not read into memory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bun-apm-static-'));
    const path = join(dir, 'large.bin');
    const size = 64 * 1024 * 1024;
    writeFileSync(path, Buffer.alloc(size, 'x'));
    Bun.gc(true);
    const before = process.memoryUsage().rss;
    const { monitored } = pair(() => ({ routes: { '/large': new Response(Bun.file(path)) }, fetch: () => new Response('', { status: 404 }) }));
    const head = await fetch(new URL('/large', monitored.url), { method: 'HEAD' });
    expect(head.headers.get('content-length')).toBe(String(size));
    await Bun.sleep(500); // what was read at start was read by now
    // Read, it added the file twice over (a 200 MB file: +400 MB, measured by a review).
    expect(process.memoryUsage().rss - before).toBeLessThan(size / 2);
  });

  test('per-method objects, params, the fetch fallback and a thrown route through the error handler', async () => {
    const { plain, monitored, recorder } = pair(() => ({
      routes: {
        '/users': { GET: () => Response.json([]), POST: () => new Response('made', { status: 201 }) },
        '/users/:id': (req: Bun.BunRequest<'/users/:id'>) => Response.json({ id: req.params.id }),
        '/fail': () => {
          throw new SyntaxError('bad');
        },
      },
      fetch: () => new Response('fallback', { status: 404 }),
      error: (error: Error) => new Response(`handled ${error.name}`, { status: 503 }),
    }) as never);
    for (const [path, init] of [['/users', undefined], ['/users', { method: 'POST' }], ['/users', { method: 'DELETE' }], ['/users/42', undefined], ['/fail', undefined], ['/x/9f3a1c2b7d', undefined]] as const) {
      const { plain: a, monitored: b } = await both(plain, monitored, path, init);
      expect(`${path} ${b.status} ${b.body}`).toBe(`${path} ${a.status} ${a.body}`);
    }
    const failed = await fetch(new URL('/fail', monitored.url), { headers: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' } });
    expect(failed.headers.get('server-timing')).toMatch(/^total;dur=/); // the error handler's response is decorated too
    expect(failed.headers.get('traceparent')).toStartWith('00-4bf92f3577b34da6a3ce929d0e0e4736-');
    await failed.text();
    const keys = counted(recorder);
    expect(keys).toMatchObject({ 'GET /users 2xx': 1, 'POST /users 2xx': 1, 'GET /users/:id 2xx': 1, 'GET /fail 5xx': 2, 'GET /x/:id 4xx': 1 });
    expect(Object.values(keys).reduce((a, b) => a + b, 0)).toBe(7);
  });

  test('a thrown or rejected request is counted with the status the app’s error handler answers, and as an error', async () => {
    // Found by a review: an error handler mapping NotFound to a 404 had it counted a 500.
    class NotFound extends Error {}
    class Conflict extends Error {}
    const { plain, monitored, recorder } = pair(() => ({
      routes: {
        '/items/:id': () => {
          throw new NotFound('no item');
        },
        '/orders/:id': async () => {
          await Bun.sleep(1);
          throw new Conflict('taken');
        },
      },
      fetch: (request: Request) => {
        const path = new URL(request.url).pathname;
        if (path === '/primitive') throw 'a string'; // cannot be matched to its request: Bun's 500
        if (path === '/plain-error') throw new RangeError('unmapped');
        return new Response('ok');
      },
      error: (error: unknown) => {
        if (error instanceof NotFound) return new Response('not found', { status: 404 });
        if (error instanceof Conflict) return Bun.sleep(1).then(() => new Response('conflict', { status: 409 }));
        return new Response('server error', { status: 500 });
      },
    }) as never);
    const paths = ['/items/1', '/items/2', '/orders/7', '/primitive', '/plain-error', '/ok'];
    const seen: Record<string, number> = {};
    for (const path of paths) {
      const { plain: a, monitored: b } = await both(plain, monitored, path);
      expect(`${path} ${b.status} ${b.body}`).toBe(`${path} ${a.status} ${a.body}`);
      const route = path.startsWith('/items/') ? '/items/:id' : path.startsWith('/orders/') ? '/orders/:id' : path;
      const key = `GET ${route} ${Math.floor(b.status / 100)}xx`;
      seen[key] = (seen[key] ?? 0) + 1;
    }
    expect(seen).toMatchObject({ 'GET /items/:id 4xx': 2, 'GET /orders/:id 4xx': 1 }); // the app's answers, as the client saw them
    await Bun.sleep(20); // past the macrotask a request no error handler answered waits
    const cells = recorder.drain().rollups;
    expect(Object.fromEntries(cells.map((c) => [`${c.method} ${c.route} ${c.statusClass}`, c.count]))).toEqual(seen);
    // Thrown is an error whatever the status; the one request that did not throw is not.
    const errors = Object.fromEntries(cells.map((c) => [c.route, c.errors]));
    expect(errors).toEqual({ '/items/:id': 2, '/orders/:id': 1, '/primitive': 1, '/plain-error': 1, '/ok': 0 });
  });

  test('a reload with routes and no fetch keeps the server’s fetch, as plain Bun does (found by a review)', async () => {
    const { recorder } = testRecorder();
    const make = () => ({ hostname: '127.0.0.1', port: 0, routes: { '/a': () => new Response('a1') }, fetch: () => new Response('fallback', { status: 200 }) });
    const plain = Bun.serve(make());
    servers.push(plain);
    const monitored = serveInstrumented(recorder, make());
    for (const server of [plain, monitored]) server.reload({ routes: { '/b/:id': () => new Response('b2') } } as never);
    for (const path of ['/b/7', '/zzz', '/a']) {
      const { plain: a, monitored: b } = await both(plain, monitored, path);
      expect(`${path} ${b.status} ${b.body}`).toBe(`${path} ${a.status} ${a.body}`);
    }
    expect(counted(recorder)).toEqual({ 'GET /b/:id 2xx': 1, 'GET /zzz 2xx': 1, 'GET /a 2xx': 1 });
  });

  // A review: under the preload a static route is a handler, which Bun keeps on such a reload; it
  // had gone on serving the old static answer where plain Bun passes the request to the new fetch.
  test('a reload naming no routes drops the static ones and keeps the handlers, as plain Bun does; `static` alike', async () => {
    const { recorder } = testRecorder();
    const dir = mkdtempSync(join(tmpdir(), 'bun-apm-reload-static-'));
    writeFileSync(join(dir, 'f.txt'), 'file body');
    const make = () => ({
      hostname: '127.0.0.1',
      port: 0,
      routes: {
        '/static': new Response('static one'),
        '/file': Bun.file(join(dir, 'f.txt')),
        '/handler/:id': () => new Response('handler one'),
        '/mixed': { GET: new Response('static get'), POST: () => new Response('handler post') },
      },
      static: { '/legacy': new Response('legacy static') },
      fetch: () => new Response('first fetch', { status: 201 }),
    });
    const plain = Bun.serve(make() as never);
    servers.push(plain);
    const monitored = serveInstrumented(recorder, make());
    const probes: Array<[string, string]> = [['GET', '/static'], ['GET', '/file'], ['GET', '/handler/1'], ['GET', '/mixed'], ['POST', '/mixed'], ['GET', '/legacy'], ['GET', '/zzz']];
    const answers = async () => {
      const seen: string[] = [];
      for (const [method, path] of probes) {
        const { plain: a, monitored: b } = await both(plain, monitored, path, { method });
        expect(`${method} ${path} ${b.status} ${b.body}`).toBe(`${method} ${path} ${a.status} ${a.body}`);
        seen.push(`${method} ${path} ${b.status}`);
      }
      return seen;
    };
    await answers();
    for (const server of [plain, monitored]) server.reload({ fetch: () => new Response('second fetch', { status: 202 }) } as never);
    // What plain Bun does, checked on its server above: the handlers stay, the static routes go to the new fetch.
    expect(await answers()).toEqual(['GET /static 202', 'GET /file 202', 'GET /handler/1 200', 'GET /mixed 202', 'POST /mixed 200', 'GET /legacy 202', 'GET /zzz 202']);
    // Once more: what the first reload kept, a second keeps.
    for (const server of [plain, monitored]) server.reload({ fetch: () => new Response('third fetch', { status: 203 }) } as never);
    expect((await answers()).filter((line) => line.endsWith(' 200'))).toEqual(['GET /handler/1 200', 'POST /mixed 200']);
    // Counted under the templates still served; the rest under their paths, by the fetch.
    const cells = counted(recorder);
    expect([cells['GET /handler/:id 2xx'], cells['POST /mixed 2xx'], cells['GET /static 2xx']]).toEqual([3, 3, 3]);
  });

  test('a Response.error() is counted as a 5xx and an error, sync or async, as the app’s error handler answers it (found by a review)', async () => {
    const { plain, monitored, recorder } = pair(() => ({
      routes: { '/sync': () => Response.error(), '/async': async () => (await Bun.sleep(1), Response.error()), '/ok': () => new Response('ok') },
      // Bun hands its own "Cannot send a Response with status 0" error to the app's handler (without one, to the process).
      error: () => new Response('unsendable', { status: 502 }),
    }) as never);
    for (const path of ['/sync', '/async', '/ok']) {
      const { plain: a, monitored: b } = await both(plain, monitored, path);
      expect(`${path} ${b.status}`).toBe(`${path} ${a.status}`);
    }
    const cells = recorder.drain().rollups;
    expect(Object.fromEntries(cells.map((c) => [`${c.route} ${c.statusClass}`, [c.count, c.errors]]))).toEqual({ '/sync 5xx': [1, 1], '/async 5xx': [1, 1], '/ok 2xx': [1, 0] });
  });

  test('a missing file route passes the request on to the fetch Bun would call, with the server as `this`, after a reload too (review)', async () => {
    const { recorder } = testRecorder();
    const dir = mkdtempSync(join(tmpdir(), 'bun-apm-missing-'));
    const make = () => ({
      hostname: '127.0.0.1',
      port: 0,
      routes: { '/gone': Bun.file(join(dir, 'gone.txt')) },
      fetch(this: Server, request: Request) {
        return new Response(`fallback for ${this.requestIP(request)?.address}`, { status: 404 });
      },
    });
    const plain = Bun.serve(make() as never);
    servers.push(plain);
    const monitored = serveInstrumented(recorder, make());
    for (const server of [plain, monitored]) server.reload({ routes: { '/gone': Bun.file(join(dir, 'gone.txt')), '/still-gone': Bun.file(join(dir, 'x.txt')) } } as never);
    for (const path of ['/gone', '/still-gone']) {
      const { plain: a, monitored: b } = await both(plain, monitored, path);
      expect(`${path} ${b.status} ${b.body}`).toBe(`${path} ${a.status} ${a.body}`);
    }
  });

  test('Bun.serve replaced: servers it creates are instrumented, and so is what server.reload() gets', async () => {
    const { recorder } = testRecorder();
    const make = (version: string) => ({ hostname: '127.0.0.1', port: 0, routes: { [`/${version}/:id`]: () => new Response(version) }, fetch: () => new Response('', { status: 404 }) });
    const undo = instrumentServe(recorder, log);
    let server: Server;
    try {
      server = Bun.serve(make('v1'));
    } finally {
      undo();
    }
    servers.push(server);
    expect(await (await fetch(new URL('/v1/5', server.url))).text()).toBe('v1');
    server.reload(make('v2'));
    expect(await (await fetch(new URL('/v2/6', server.url))).text()).toBe('v2');
    expect(counted(recorder)).toEqual({ 'GET /v1/:id 2xx': 1, 'GET /v2/:id 2xx': 1 });
  });

  test('the app’s options object is not changed, and class-based options keep their methods and getters', async () => {
    const { recorder } = testRecorder();
    class App {
      hostname = '127.0.0.1';
      get port() {
        return 0;
      }
      fetch(req: Request) {
        return new Response(`class ${new URL(req.url).pathname}`);
      }
    }
    const app = new App();
    const before = Object.keys(app);
    const server = Bun.serve(instrumentOptions(app, recorder, log) as never) as Server;
    servers.push(server);
    expect(Object.keys(app)).toEqual(before);
    expect(await (await fetch(new URL('/c/1', server.url))).text()).toBe('class /c/1');
    expect(counted(recorder)).toEqual({ 'GET /c/:id 2xx': 1 });
  });

  test('frozen options and a `fetch` getter are instrumented too (they had left the server unmonitored)', async () => {
    const { recorder } = testRecorder();
    const frozen = Object.freeze({ hostname: '127.0.0.1', port: 0, fetch: () => new Response('frozen') });
    class Getter {
      hostname = '127.0.0.1';
      port = 0;
      get fetch() {
        return () => new Response('getter');
      }
    }
    const lines: string[] = [];
    const warnLog = createLog(false, (line) => lines.push(line));
    for (const [options, body] of [[frozen, 'frozen'], [new Getter(), 'getter']] as const) {
      const server = Bun.serve(instrumentOptions(options, recorder, warnLog) as never) as Server;
      servers.push(server);
      expect(await (await fetch(new URL('/x/1', server.url))).text()).toBe(body);
    }
    expect(lines).toEqual([]);
    expect(counted(recorder)).toEqual({ 'GET /x/:id 2xx': 2 });
  });

  test('class options whose getter reads a private field are instrumented (Bun refused our copy: the server ran unmonitored)', async () => {
    const { recorder } = testRecorder();
    const lines: string[] = [];
    class Private {
      #port = 0;
      hostname = '127.0.0.1';
      get port() {
        return this.#port;
      }
      fetch(req: Request) {
        return new Response(`private ${new URL(req.url).pathname}`);
      }
    }
    const server = serveInstrumented(recorder, new Private(), createLog(false, (line) => lines.push(line)));
    expect(await (await fetch(new URL('/p/7', server.url))).text()).toBe('private /p/7');
    expect(lines).toEqual([]);
    expect(counted(recorder)).toEqual({ 'GET /p/:id 2xx': 1 });
  });

  test('a Hono app passed whole (`export default app`): its own `routes` array is left alone and its requests are counted', async () => {
    const { recorder } = testRecorder();
    const app = new Hono();
    app.get('/items/:id', (c) => c.json({ id: c.req.param('id') }));
    expect(Array.isArray(app.routes)).toBe(true);
    const options = Object.assign(app, { hostname: '127.0.0.1', port: 0 });
    const server = Bun.serve(instrumentOptions(options, recorder, log) as never) as Server;
    servers.push(server);
    expect(await (await fetch(new URL('/items/3', server.url))).json()).toEqual({ id: '3' });
    // Templates from Hono come from the module hook, which only the preload installs (see counts.test.ts).
    expect(counted(recorder)).toEqual({ 'GET /items/:id 2xx': 1 });
  });

  test('a routes-only server: what no route or method matches gets Bun\'s own empty 404, counted; a bare Bun.file route is served as Bun serves it, counted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bun-apm-routes-only-'));
    const path = join(dir, 'favicon.ico');
    writeFileSync(path, 'icon bytes');
    const { plain, monitored, recorder } = pair(() => ({ routes: { '/a': () => new Response('a'), '/m': { GET: () => new Response('m') }, '/favicon.ico': Bun.file(path) } }) as never);
    const of = (headers: Headers) => Object.fromEntries([...headers].filter(([name]) => name !== 'date'));
    const probes = [['/missing', 'GET', {}], ['/other/1', 'GET', {}], ['/m', 'POST', {}], ['/m', 'GET', {}], ['/a', 'GET', {}],
      ['/favicon.ico', 'GET', {}], ['/favicon.ico', 'HEAD', {}], ['/favicon.ico', 'GET', { range: 'bytes=0-3' }]] as const;
    for (const [route, method, headers] of probes) {
      const got = await both(plain, monitored, route, { method, headers });
      expect(`${method} ${route} ${got.monitored.status} ${got.monitored.body}`).toBe(`${method} ${route} ${got.plain.status} ${got.plain.body}`);
      expect(of(got.monitored.headers)).toEqual(of(got.plain.headers));
    }
    const lastModified = (await fetch(new URL('/favicon.ico', plain.url))).headers.get('last-modified')!;
    const fresh = await both(plain, monitored, '/favicon.ico', { headers: { 'if-modified-since': lastModified } });
    expect([fresh.plain.status, fresh.monitored.status]).toEqual([304, 304]);
    expect(of(fresh.monitored.headers)).toEqual(of(fresh.plain.headers));
    // Before: the four 404s and the file's five answers went uncounted.
    expect(counted(recorder)).toEqual({
      'GET /missing 4xx': 1, 'GET /other/:id 4xx': 1, 'POST /m 4xx': 1, 'GET /m 2xx': 1, 'GET /a 2xx': 1,
      'GET /favicon.ico 2xx': 2, 'HEAD /favicon.ico 2xx': 1, 'GET /favicon.ico 3xx': 1,
    });
  });

  test('a WebSocket upgrade is a 101 whatever the handler returns after it (Elysia returns a 200 that Bun ignores)', async () => {
    const { recorder } = testRecorder();
    const server = serveInstrumented(recorder, {
      hostname: '127.0.0.1', port: 0,
      fetch(request: Request, srv: Server) {
        const upgraded = srv.upgrade(request, { data: undefined });
        if (!upgraded) return new Response('not a socket', { status: 400 });
        return new URL(request.url).pathname === '/answered' ? new Response('ignored by Bun') : undefined;
      },
      websocket: { open(ws: { send(text: string): void }) { ws.send('hello'); }, message() {} },
    });
    for (const path of ['/answered', '/bare']) expect(await greeting(`ws://127.0.0.1:${server.port}${path}`)).toBe('hello');
    expect((await fetch(new URL('/bare', server.url))).status).toBe(400);
    expect(counted(recorder)).toEqual({ 'GET /answered 1xx': 1, 'GET /bare 1xx': 1, 'GET /bare 4xx': 1 });
  });

  test('an async handler upgrading before or after its first await: a 101 each, and nothing left in flight', async () => {
    // Found by a review: upgraded before the first await, the request was ended on the reusable
    // state and then counted in flight for good when the handler went async.
    for (const when of ['before', 'after'] as const) {
      for (const answer of ['undefined', 'response'] as const) {
        const { recorder } = testRecorder();
        const server = serveInstrumented(recorder, {
          hostname: '127.0.0.1', port: 0,
          async fetch(request: Request, srv: Server) {
            if (when === 'after') await Promise.resolve();
            if (!srv.upgrade(request, { data: undefined })) return new Response('not a socket', { status: 400 });
            return answer === 'response' ? new Response('ignored by Bun') : undefined;
          },
          websocket: { open(ws: { send(text: string): void }) { ws.send('hello'); }, message() {} },
        });
        for (let i = 0; i < 3; i++) expect(await greeting(`ws://127.0.0.1:${server.port}/ws`)).toBe('hello');
        await Bun.sleep(20); // the handlers' promises settle
        expect([when, answer, recorder.inFlight, counted(recorder)]).toEqual([when, answer, 0, { 'GET /ws 1xx': 3 }]);
      }
    }
  });

  test('directory routes are served by Bun as before (not counted: no JS runs for them)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bun-apm-dir-'));
    writeFileSync(join(dir, 'a.txt'), 'file a');
    const { plain, monitored, recorder } = pair(() => ({ routes: { '/files/*': { dir } }, fetch: () => new Response('', { status: 404 }) }) as never);
    const { plain: a, monitored: b } = await both(plain, monitored, '/files/a.txt');
    expect(b).toMatchObject({ status: a.status, body: 'file a' });
    expect(counted(recorder)).toEqual({});
  });
});
