// Per-method route objects as Bun takes them: any object with an own GET, HEAD, POST, PUT, DELETE,
// PATCH, OPTIONS, CONNECT or TRACE (Bun 1.4.5; other keys it accepts and ignores). One with a key
// beyond the seven standard ones (`{ GET, PURGE }`) had been left unwrapped: its 200s went uncounted.
// A method a route does not declare falls through to fetch, and is counted under the route's template.
// Real processes, the same app with and without the preload, raw HTTP (fetch cannot send TRACE).
import { afterAll, expect, test } from 'bun:test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { methodKey } from '../../src/core/request-key.ts';
import { statusClassOf } from '../../src/core/wire-format.ts';
import { freePort, REPO, listening } from './support/app-process.ts';
import { IngestSink } from './support/ingest-sink.ts';

const sink = new IngestSink().start();
const children: ReturnType<typeof Bun.spawn>[] = [];
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await sink.stop();
});

const APP = `
const answer = (name) => (request) => new Response(name + ' ' + request.method + ' ' + new URL(request.url).pathname);
const hidden = {};
Object.defineProperty(hidden, 'GET', { value: answer('hidden'), enumerable: false });
Bun.serve({
  hostname: '127.0.0.1',
  port: Number(process.env.PORT),
  routes: {
    '/cache/:key': { GET: answer('get'), PURGE: answer('purge') },
    '/dav/:id': { GET: answer('dav'), PROPFIND: answer('propfind'), QUERY: answer('query'), LINK: answer('link') },
    '/diag': { TRACE: answer('trace'), CONNECT: answer('connect'), GET: new Response('static get'), DELETE: answer('delete') },
    '/static-methods': { GET: new Response('static', { headers: { 'x-kind': 'static' } }), PURGE: new Response('static purge') },
    '/mixed': { POST: answer('post'), helper: 'not a method' },
    '/hidden': hidden,
    '/nested': { GET: { GET: answer('inner') } },
  },
  fetch: (request) => new Response('fallback ' + request.method, { status: 404 }),
});
`;

async function start(dir: string, preload: boolean): Promise<{ port: number; child: ReturnType<typeof Bun.spawn> }> {
  const port = freePort();
  const child = Bun.spawn([process.execPath, ...(preload ? ['--preload', 'bun-apm/preload'] : []), join(dir, 'app.ts')], {
    cwd: REPO,
    env: { ...process.env, PORT: String(port), BUN_APM_ENDPOINT: sink.url, BUN_APM_INGEST_KEY: sink.ingestKey, BUN_APM_FLUSH_INTERVAL_MS: '600000', BUN_APM_TRACE_SAMPLE_RATE: '0', BUN_APM_APP: 'serve-methods' },
    stdout: 'ignore',
    stderr: 'pipe',
  });
  children.push(child);
  // A TCP connect, not a request: nothing counted or traced before the probes.
  const ready = await listening([port]);
  if (!ready) throw new Error(`the app did not start: ${await new Response(child.stderr as ReadableStream).text()}`);
  return { port, child };
}

/** One request on its own connection, as the bytes of its answer's status line, headers (less Date, Server-Timing) and body. */
function raw(port: number, method: string, path: string): Promise<{ status: number; rest: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(`${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`));
    let text = '';
    socket.on('data', (chunk) => (text += chunk.toString('latin1')));
    socket.on('end', () => {
      const [head = '', ...body] = text.split('\r\n\r\n');
      const [line = '', ...headers] = head.split('\r\n');
      const kept = headers.filter((header) => !/^(date|server-timing):/i.test(header)).map((header) => header.toLowerCase()).sort();
      resolve({ status: Number(line.split(' ')[1]), rest: `${kept.join('\n')}\n\n${body.join('\r\n\r\n')}` });
    });
    socket.on('error', reject);
  });
}

test('per-method objects with TRACE, CONNECT, PURGE, QUERY, PROPFIND, LINK or other keys: answered as without the preload, every routed request counted under its template', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bun-apm-serve-methods-'));
  writeFileSync(join(dir, 'app.ts'), APP);
  const plain = await start(dir, false);
  const monitored = await start(dir, true);
  const probes: Array<[method: string, path: string, template: string]> = [
    ['GET', '/cache/k1', '/cache/:key'], ['GET', '/cache/k2', '/cache/:key'], ['HEAD', '/cache/k1', '/cache/:key'], ['PURGE', '/cache/k1', '/cache/:key'],
    ['GET', '/dav/1', '/dav/:id'], ['PROPFIND', '/dav/1', '/dav/:id'], ['QUERY', '/dav/1', '/dav/:id'], ['LINK', '/dav/1', '/dav/:id'],
    ['TRACE', '/diag', '/diag'], ['CONNECT', '/diag', '/diag'], ['GET', '/diag', '/diag'], ['DELETE', '/diag', '/diag'], ['POST', '/diag', '/diag'],
    ['GET', '/static-methods', '/static-methods'], ['HEAD', '/static-methods', '/static-methods'], ['PURGE', '/static-methods', '/static-methods'],
    ['POST', '/mixed', '/mixed'], ['GET', '/mixed', '/mixed'], ['GET', '/hidden', '/hidden'], ['GET', '/nested', '/nested'],
  ];
  const routed: Record<string, number> = {};
  const fellThrough: Record<string, number> = {};
  const mismatches: string[] = [];
  for (const [method, path, template] of probes) {
    const a = await raw(plain.port, method, path);
    const b = await raw(monitored.port, method, path);
    if (b.status !== a.status || b.rest !== a.rest) mismatches.push(`${method} ${path}\n  plain     ${a.status} ${JSON.stringify(a.rest)}\n  monitored ${b.status} ${JSON.stringify(b.rest)}`);
    // What Bun routes under its template, the method as the wire carries it.
    const key = `${methodKey(method)} ${template} ${statusClassOf(a.status)}`;
    if (a.status !== 404) routed[key] = (routed[key] ?? 0) + 1;
    // A method the route does not declare falls through to fetch (404 here): named by the template its path matches too.
    else fellThrough[key] = (fellThrough[key] ?? 0) + 1;
  }
  expect(mismatches).toEqual([]);
  // The routes Bun does route here: GET/HEAD of /cache, /dav, /static-methods, /hidden; TRACE, CONNECT, GET, DELETE of /diag; POST /mixed.
  expect(routed).toEqual({
    'GET /cache/:key 2xx': 2, 'HEAD /cache/:key 2xx': 1, 'GET /dav/:id 2xx': 1,
    'TRACE /diag 2xx': 1, 'CONNECT /diag 2xx': 1, 'GET /diag 2xx': 1, 'DELETE /diag 2xx': 1,
    'GET /static-methods 2xx': 1, 'HEAD /static-methods 2xx': 1, 'POST /mixed 2xx': 1, 'GET /hidden 2xx': 1,
  });
  monitored.child.kill('SIGTERM');
  await monitored.child.exited;
  expect(sink.problems).toEqual([]);
  const counted: Record<string, number> = {};
  for (const batch of sink.batches) {
    for (const cell of batch.rollups) {
      const key = `${cell.method} ${cell.route} ${cell.statusClass}`;
      counted[key] = (counted[key] ?? 0) + cell.count;
    }
  }
  // Was: the fallback's 404s under their raw paths (`PROPFIND /dav/1`), one route per id or tenant.
  expect(Object.keys(fellThrough).length).toBeGreaterThan(3);
  expect(counted).toEqual({ ...routed, ...fellThrough });
  // And every probe counted exactly once, the fallback's 404s included.
  expect(sink.count()).toBe(probes.length);
}, 60_000);
