// A Bun route's path rebuilt from its template and parameters (what detail records and spans carry
// for a `routes` app instead of reading the URL): against a real Bun.serve and raw request lines, the
// rebuilt path is the path the client sent, or the same URL by RFC 3986 (percent-encoded unreserved
// characters decoded), or nothing, in which case the recorder reads the URL.
import { afterAll, describe, expect, test } from 'bun:test';
import { pathOf } from '../../src/core/request-key.ts';
import { pathFromRoute } from '../../src/plugin/runtime/route-path.ts';
import { startApp, type AppProcess } from './support/app-process.ts';
import { IngestSink } from './support/ingest-sink.ts';

const TEMPLATES = ['/users/:id', '/orgs/:org/repos/:repo', '/about', '/', '/files/*', '/v1/items/:id.json', "/odd/a$b!c(d)'e/:x"];

/** The RFC 3986 normal form of what we compare: percent-encoded unreserved characters decoded. */
function normal(path: string): string {
  return path.replace(/%([0-9A-Fa-f]{2})/g, (escape, hex: string) => {
    const char = String.fromCharCode(Number.parseInt(hex, 16));
    return /[A-Za-z0-9\-._~]/.test(char) ? char : escape;
  });
}

interface Seen {
  template: string;
  url: string;
  params: Record<string, string>;
}

const seen: Seen[] = [];
const server = Bun.serve({
  hostname: '127.0.0.1',
  port: 0,
  routes: Object.fromEntries(
    TEMPLATES.map((template) => [
      template,
      (request: Request & { params: Record<string, string> }) => {
        seen.push({ template, url: request.url, params: { ...request.params } });
        return new Response('ok');
      },
    ]),
  ),
  fetch: () => new Response('no route', { status: 404 }),
});
const apps: AppProcess[] = [];
const sinks: IngestSink[] = [];
afterAll(async () => {
  server.stop(true);
  await Promise.all(apps.map((app) => app.kill()));
  await Promise.all(sinks.map((sink) => sink.stop()));
});

/** Sends one raw request line (no client-side normalising) to `port` and waits for the answer. */
function send(target: string, port = server.port!): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer for ${target}`)), 5_000);
    void Bun.connect({
      hostname: '127.0.0.1',
      port,
      socket: {
        open(socket) {
          socket.write(`GET ${target} HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\n\r\n`);
        },
        data() {},
        close() {
          clearTimeout(timer);
          resolve();
        },
        error(_socket, error) {
          clearTimeout(timer);
          reject(error);
        },
      },
    });
  });
}

/** Path characters a client may send: unreserved, sub-delims, escapes of each kind, a few that routers trip on. */
const PIECES = ['.', '%2E', 'a', 'Z', '7', '-', '.', '_', '~', '%41', '%7E', '%20', '%2F', '%2f', '%25', '%zz', '+', ';', ',', '=', '@', ':', "'", '!', '$', '%E2%82%AC', '..'];

const UNRESERVED_PIECES = ['.', 'a', 'Z', '7', '-', '_', '~', '%41', '%7E', '%2E'];

/** Half the values from the unreserved pieces alone (the common case: ids, slugs), half from all of them. */
function randomValue(random: () => number): string {
  const pieces = random() < 0.5 ? UNRESERVED_PIECES : PIECES;
  let value = '';
  const length = 1 + Math.floor(random() * 4);
  for (let i = 0; i < length; i++) value += pieces[Math.floor(random() * pieces.length)];
  return value;
}

/** A seeded generator, so a failure names a case that can be run again. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('pathFromRoute', () => {
  test('against a real Bun.serve: the path as sent (RFC 3986 normal form), or undefined', async () => {
    const random = mulberry32(20261128);
    const targets = ['/users/42', '/users/%41b', '/about', '/about?x=1', '/', '/files/a/b', '/v1/items/3.json', '/orgs/acme/repos/site?tab=1', "/odd/a$b!c(d)'e/q"];
    // Spellings a router might fold into a template: Bun routes them elsewhere (or here, exactly).
    targets.push('/users/42/', '//users/42', '/users//42', '/USERS/42', '/ab%6Fut', '/about/', "/odd/a%24b!c(d)'e/q", '/odd/a$b%21c(d)%27e/q', '/./about', '/users/./42');
    for (let i = 0; i < 300; i++) {
      const shape = i % 3;
      if (shape === 0) targets.push(`/users/${randomValue(random)}`);
      else if (shape === 1) targets.push(`/orgs/${randomValue(random)}/repos/${randomValue(random)}${random() < 0.3 ? '?q=%20' : ''}`);
      else targets.push(`/v1/items/${randomValue(random)}`);
    }
    for (const target of targets) await send(target);

    let rebuilt = 0;
    let read = 0;
    for (const { template, url, params } of seen) {
      const path = pathFromRoute(template, params);
      if (path === undefined) {
        read++;
        continue;
      }
      rebuilt++;
      expect({ template, url, path: normal(path) }).toEqual({ template, url, path: normal(pathOf(url)) });
    }
    // Premise: Bun routed most of them, and both answers happened (a wildcard or escapes force the URL).
    expect(seen.length).toBeGreaterThan(200);
    expect(rebuilt).toBeGreaterThan(50);
    expect(read).toBeGreaterThan(50);
    // Wildcards, `:id.json` and escapes other than unreserved are read from the URL.
    const forTemplate = (template: string) => seen.filter((s) => s.template === template);
    for (const s of forTemplate('/files/*')) expect(pathFromRoute(s.template, s.params)).toBeUndefined();
    for (const s of forTemplate('/v1/items/:id.json')) expect(pathFromRoute(s.template, s.params)).toBeUndefined();
  });

  test('exact answers', () => {
    expect(pathFromRoute('/users/:id', { id: '42' })).toBe('/users/42');
    expect(pathFromRoute('/a/:x/b/:y', { x: '1', y: 'z-9' })).toBe('/a/1/b/z-9');
    expect(pathFromRoute('/about', {})).toBe('/about');
    expect(pathFromRoute('/', {})).toBe('/');
    expect(pathFromRoute('/users/:id/', { id: '1' })).toBe('/users/1/');
    expect(pathFromRoute('/users/:id', { id: 'a b' })).toBeUndefined();
    expect(pathFromRoute('/users/:id', { id: 'a/b' })).toBeUndefined();
    expect(pathFromRoute('/users/:id', { id: '' })).toBeUndefined();
    expect(pathFromRoute('/users/:id', { id: '.' })).toBeUndefined(); // a dot segment: the URL says /users/
    expect(pathFromRoute('/users/:id', { id: '..' })).toBeUndefined();
    expect(pathFromRoute('/users/:id', {})).toBeUndefined();
    expect(pathFromRoute('/users/:id', undefined)).toBeUndefined();
    expect(pathFromRoute('/files/*', {})).toBeUndefined();
    expect(pathFromRoute('/caf%C3%A9', {})).toBeUndefined();
    expect(pathFromRoute('/café', {})).toBeUndefined();
    expect(pathFromRoute('/static/./x', {})).toBeUndefined();
    expect(pathFromRoute('/static/../x', {})).toBeUndefined();
    expect(pathFromRoute('users/:id', { id: '1' })).toBeUndefined();
  });
});

describe('detail records and spans of a routes app under the preload', () => {
  test('carry the path as sent (or its RFC 3986 normal form), whether rebuilt or read from the URL', async () => {
    const sink = new IngestSink().start();
    sinks.push(sink);
    const app = await startApp('routes-app.ts', {
      env: { BUN_APM_ENDPOINT: sink.url, BUN_APM_INGEST_KEY: sink.ingestKey, BUN_APM_SAMPLE_RATE: '1', BUN_APM_TRACE_SAMPLE_RATE: '1' },
    });
    apps.push(app);
    // Raw request line → the path Bun's URL holds (dot segments removed, query dropped).
    const cases: Array<[string, string]> = [
      ['/users/1', '/users/1'],
      ['/users/%31', '/users/1'],
      ['/users/2?x=1', '/users/2'],
      ['/users/a%20b', '/users/a%20b'],
      ['/users/a+b', '/users/a+b'],
      ['/users/.', '/users/'],
      ['/health', '/health'],
      ['/orders/7', '/orders/7'],
    ];
    for (const [target] of cases) await send(target, app.port);
    app.process.kill('SIGTERM');
    await app.exited;

    const expected = cases.map(([, path]) => normal(path)).sort();
    const samples = sink.batches.flatMap((batch) => batch.samples);
    const spans = sink.batches.flatMap((batch) => batch.spans).filter((span) => span.kind === 'server');
    expect(samples.map((sample) => normal(sample.path)).sort()).toEqual(expected);
    expect(spans.map((span) => normal(String(span.tags['http.target']))).sort()).toEqual(expected);
  }, 30_000);
});
