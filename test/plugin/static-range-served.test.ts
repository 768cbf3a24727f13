// Static file routes under the preload answer what Bun answers without it, for GET and HEAD with and
// without Range and conditional headers, and are counted under the status Bun actually sent (a Range
// past the end went out 416 but was counted 2xx; a HEAD with Range got 200 and the whole length).
// Real processes, the same app with and without the preload, a stand-in edge for the counts.
import { afterAll, expect, test } from 'bun:test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { statusClassOf } from '../../src/core/wire-format.ts';
import { freePort, REPO, listening } from './support/app-process.ts';
import { IngestSink } from './support/ingest-sink.ts';

const sinks: IngestSink[] = [];
const children: ReturnType<typeof Bun.spawn>[] = [];
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await Promise.all(sinks.map((sink) => sink.stop()));
});

function newSink(): IngestSink {
  const sink = new IngestSink().start();
  sinks.push(sink);
  return sink;
}

const APP = `
const data = process.env.DATA;
Bun.serve({
  hostname: '127.0.0.1',
  port: Number(process.env.PORT),
  routes: {
    '/file': Bun.file(data),
    '/resp': new Response(Bun.file(data), { headers: { 'x-kind': 'file' } }),
    '/applm': new Response(Bun.file(data), { headers: { 'last-modified': 'Mon, 01 Jan 2001 00:00:00 GMT' } }),
    '/m': { GET: Bun.file(data) },
    // A type not shown inline: Bun names a handler's file in a content-disposition, not its route's.
    '/bin': Bun.file(process.env.BIN),
    '/binresp': new Response(Bun.file(process.env.BIN), { headers: { 'x-kind': 'file' } }),
  },
  fetch: () => new Response('fallback', { status: 404 }),
});
`;

async function start(dir: string, preload: boolean, sink: IngestSink): Promise<{ url: string; child: ReturnType<typeof Bun.spawn> }> {
  const port = freePort();
  const child = Bun.spawn([process.execPath, ...(preload ? ['--preload', 'bun-apm/preload'] : []), join(dir, 'app.ts')], {
    cwd: REPO,
    env: { ...process.env, PORT: String(port), DATA: join(dir, 'data.txt'), BIN: join(dir, 'data.bin'), BUN_APM_ENDPOINT: sink.url, BUN_APM_INGEST_KEY: sink.ingestKey, BUN_APM_FLUSH_INTERVAL_MS: '600000', BUN_APM_SAMPLE_RATE: '1', BUN_APM_TRACE_SAMPLE_RATE: '0', BUN_APM_APP: 'static-range' },
    stdout: 'ignore',
    stderr: 'pipe',
  });
  children.push(child);
  const url = `http://127.0.0.1:${port}`;
  // A TCP connect, not a request: nothing counted or traced before the probes.
  const ready = await listening([port]);
  if (!ready) throw new Error(`the app did not start: ${await new Response(child.stderr as ReadableStream).text()}`);
  return { url, child };
}

interface Answer {
  status: number;
  body: string;
  headers: Record<string, string>;
  dated: boolean;
}

async function ask(url: string, method: string, headers: Record<string, string>): Promise<Answer> {
  const response = await fetch(url, { method, headers });
  const kept = Object.fromEntries([...response.headers].filter(([name]) => !['date', 'connection', 'keep-alive', 'server-timing'].includes(name)));
  return { status: response.status, body: await response.text(), headers: kept, dated: response.headers.has('date') };
}

test('file routes: GET and HEAD with ranges, If-Range and preconditions answer as without the preload, counted as sent', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bun-apm-static-range-'));
  writeFileSync(join(dir, 'data.txt'), '0123456789');
  writeFileSync(join(dir, 'app.ts'), APP);
  const sink = newSink();
  const plain = await start(dir, false, sink);
  const monitored = await start(dir, true, sink);
  const lastModified = (await fetch(`${plain.url}/file`, { method: 'HEAD' })).headers.get('last-modified')!;
  const earlier = new Date(Date.parse(lastModified) - 5_000).toUTCString();
  const ranges = ['bytes=1-2', 'bytes=100-', 'bytes=10-', 'bytes=-3', 'bytes=-0', 'bytes=-100', 'bytes=0-100', 'bytes=0-0,2-3', 'bytes=5-2', 'items=1-2', 'BYTES = 4-'];
  const probes: Array<[string, Record<string, string>]> = [[ 'GET', {} ], [ 'HEAD', {} ], [ 'POST', { range: 'bytes=1-2' } ]];
  for (const method of ['GET', 'HEAD']) {
    for (const range of ranges) probes.push([method, { range }]);
    probes.push(
      [method, { range: 'bytes=1-2', 'if-range': lastModified }],
      [method, { range: 'bytes=1-2', 'if-range': 'Mon, 01 Jan 2001 00:00:00 GMT' }],
      [method, { range: 'bytes=100-', 'if-range': earlier }],
      [method, { range: 'bytes=1-2', 'if-range': '"an-etag"' }],
      [method, { 'if-none-match': '*' }],
      [method, { 'if-none-match': '"x"', 'if-modified-since': lastModified }],
      [method, { 'if-modified-since': lastModified, range: 'bytes=1-2' }],
      [method, { 'if-modified-since': 'Mon, 01 Jan 2001 00:00:00 GMT' }],
      [method, { 'if-unmodified-since': earlier }],
      [method, { 'if-unmodified-since': lastModified, range: 'bytes=100-' }],
      [method, { 'if-match': '"x"' }],
      [method, { 'if-match': '*', range: 'bytes=-3' }],
    );
  }
  const expected: Record<string, number> = {};
  const expectedBytes: Record<string, number> = {};
  const statuses: Record<string, number> = {};
  const mismatches: string[] = [];
  for (const route of ['/file', '/resp', '/applm', '/m']) {
    for (const [method, headers] of probes) {
      const a = await ask(`${plain.url}${route}`, method, headers);
      const b = await ask(`${monitored.url}${route}`, method, headers);
      if (!Bun.deepEquals(b, a)) mismatches.push(`${method} ${route} ${JSON.stringify(headers)}\n  plain     ${JSON.stringify(a)}\n  monitored ${JSON.stringify(b)}`);
      const key = `${method} ${route} ${statusClassOf(a.status)}`;
      expected[key] = (expected[key] ?? 0) + 1;
      // The body's bytes as received (ASCII: one a character); a HEAD's are none. The fallback's
      // 404 is a handler's Response, whose size is not read (README: bytes of static routes only).
      expectedBytes[key] = (expectedBytes[key] ?? 0) + (a.status === 404 ? 0 : a.body.length);
      const exact = `${route} ${a.status}`;
      statuses[exact] = (statuses[exact] ?? 0) + 1;
    }
  }
  expect(mismatches).toEqual([]);
  // Bun sends 206 and 416 both ways: the probes reach them.
  expect(Object.keys(statuses)).toEqual(expect.arrayContaining(['/file 206', '/file 416', '/file 304', '/file 412', '/m 416', '/applm 206']));
  monitored.child.kill('SIGTERM');
  await monitored.child.exited;
  expect(sink.problems).toEqual([]);
  const counted: Record<string, number> = {};
  for (const batch of sink.batches) for (const cell of batch.rollups) counted[`${cell.method} ${cell.route} ${cell.statusClass}`] = (counted[`${cell.method} ${cell.route} ${cell.statusClass}`] ?? 0) + cell.count;
  expect(counted).toEqual(expected);
  // Was: a HEAD counted the bytes of the body a GET would have sent.
  const bytes: Record<string, number> = {};
  for (const batch of sink.batches) for (const cell of batch.rollups) bytes[`${cell.method} ${cell.route} ${cell.statusClass}`] = (bytes[`${cell.method} ${cell.route} ${cell.statusClass}`] ?? 0) + cell.bytes;
  expect(bytes).toEqual(expectedBytes);
  // Every request kept a detail record (sample rate 1): each with the exact status sent.
  const sampled: Record<string, number> = {};
  for (const batch of sink.batches) for (const sample of batch.samples) sampled[`${sample.route} ${sample.statusCode}`] = (sampled[`${sample.route} ${sample.statusCode}`] ?? 0) + 1;
  expect(sampled).toEqual(statuses);
}, 60_000);

test('a GET of a file route with a Range is counted as Bun sent it: 206, or 416 past the end (it was counted 200)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bun-apm-static-range-'));
  writeFileSync(join(dir, 'data.txt'), '0123456789');
  writeFileSync(join(dir, 'app.ts'), APP);
  const sink = newSink();
  const monitored = await start(dir, true, sink);
  const sent: Record<string, number> = {};
  for (const route of ['/file', '/resp', '/m']) {
    for (const range of ['bytes=1-2', 'bytes=100-', 'bytes=-3', 'bytes=10-', 'bytes=0-0,2-3']) {
      const response = await fetch(`${monitored.url}${route}`, { headers: { range } });
      await response.arrayBuffer();
      sent[`${route} ${response.status}`] = (sent[`${route} ${response.status}`] ?? 0) + 1;
    }
  }
  expect(sent).toEqual({ '/file 206': 2, '/file 416': 2, '/file 200': 1, '/resp 206': 2, '/resp 416': 2, '/resp 200': 1, '/m 206': 2, '/m 416': 2, '/m 200': 1 });
  monitored.child.kill('SIGTERM');
  await monitored.child.exited;
  const counted: Record<string, number> = {};
  for (const batch of sink.batches) for (const cell of batch.rollups) counted[`${cell.route} ${cell.statusClass}`] = (counted[`${cell.route} ${cell.statusClass}`] ?? 0) + cell.count;
  expect(counted).toEqual({ '/file 2xx': 3, '/file 4xx': 2, '/resp 2xx': 3, '/resp 4xx': 2, '/m 2xx': 3, '/m 4xx': 2 });
  const sampled: Record<string, number> = {};
  for (const batch of sink.batches) for (const sample of batch.samples) sampled[`${sample.route} ${sample.statusCode}`] = (sampled[`${sample.route} ${sample.statusCode}`] ?? 0) + 1;
  expect(sampled).toEqual(sent);
}, 60_000);

// Known and not yet fixed: the preload hands Bun the file by its path, and Bun adds
// `content-disposition: filename="…"` to a handler's file of a type not shown inline (its own file
// route does not). A descriptor instead shares a file offset between requests (whole-file GETs were
// cut short), so this waits for a way to answer that Bun does not rename. Passes once it is fixed.
test.failing('a file route of a type not shown inline has no content-disposition, as without the preload', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bun-apm-static-range-'));
  writeFileSync(join(dir, 'data.bin'), '0123456789');
  writeFileSync(join(dir, 'app.ts'), APP);
  const sink = newSink();
  const plain = await start(dir, false, sink);
  const monitored = await start(dir, true, sink);
  const mismatches: string[] = [];
  for (const route of ['/bin', '/binresp']) {
    for (const headers of [{}, { range: 'bytes=1-2' }, { range: 'bytes=100-' }] as Array<Record<string, string>>) {
      const a = await ask(`${plain.url}${route}`, 'GET', headers);
      const b = await ask(`${monitored.url}${route}`, 'GET', headers);
      if (!Bun.deepEquals(b, a)) mismatches.push(`${route} ${JSON.stringify(headers)}\n  plain     ${JSON.stringify(a)}\n  monitored ${JSON.stringify(b)}`);
    }
  }
  expect(mismatches).toEqual([]);
}, 60_000);
