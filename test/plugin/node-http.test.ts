// node:http servers under the real preload (Express, and a plain createServer), which Bun runs on
// Bun.serve with a handler of its own: every request is counted, under Express's route templates
// where it routed, with the status sent; a client that goes away first is a 499. They had not been
// counted at all (a review: an Express app under the preload reported nothing).
import { afterAll, expect, test } from 'bun:test';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Batch } from '../../src/core/wire-format.ts';
import { AppProcess, freePort, REPO } from './support/app-process.ts';
import { IngestSink } from './support/ingest-sink.ts';
import { waitFor } from './support/wait-for.ts';

const PRELOAD = join(REPO, 'src', 'plugin', 'preload.ts');
const dirs: string[] = [];
const apps: AppProcess[] = [];
const sinks: IngestSink[] = [];
afterAll(async () => {
  await Promise.all(apps.map((app) => app.kill()));
  await Promise.all(sinks.map((sink) => sink.stop()));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const EXPRESS_APP = `import express from 'express';
const app = express();
app.get('/users/:id', (req, res) => res.json({ id: req.params.id }));
app.get('/boom', () => { throw new RangeError('boom'); });
app.use('/graphql', (req, res) => res.json({ data: null }));
const api = express.Router();
api.get('/items/:itemId', (req, res, next) => (req.params.itemId === 'bad' ? next(new RangeError('bad')) : res.status(201).send('made ' + req.params.itemId)));
api.get('/', (req, res) => res.send('api'));
app.use('/api', api);
app.use((error, req, res, next) => res.status(500).send('failed'));
app.listen(Number(process.env.PORT), '127.0.0.1');
`;

const PLAIN_APP = `import { createServer } from 'node:http';
createServer((req, res) => {
  if (req.url === '/slow') return void setTimeout(() => res.end('late'), 500);
  res.writeHead(req.url === '/missing' ? 404 : 200, { 'content-type': 'text/plain' });
  res.end('hello ' + req.url);
}).listen(Number(process.env.PORT), '127.0.0.1');
`;

/** Runs `source` under the preload, sends `requests`, stops it with SIGTERM; the cells it sent, as `METHOD route class: count`. */
async function counted(source: string, requests: (app: AppProcess) => Promise<void>): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'bun-apm-node-http-'));
  dirs.push(dir);
  symlinkSync(join(REPO, 'node_modules'), join(dir, 'node_modules'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'node-http-app', private: true, type: 'module' }));
  writeFileSync(join(dir, 'app.ts'), source);
  const sink = new IngestSink().start();
  sinks.push(sink);
  const port = freePort();
  const child = Bun.spawn([process.execPath, '--preload', PRELOAD, 'app.ts'], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NO_COLOR: '1', PORT: String(port), BUN_APM_ENDPOINT: sink.url, BUN_APM_INGEST_KEY: sink.ingestKey, BUN_APM_APP: 'node-http' },
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const app = new AppProcess(child, port);
  apps.push(app);
  expect(await waitFor(() => app.fetch('/ready').then(() => true, () => undefined), 15_000)).toBe(true);
  await requests(app);
  child.kill('SIGTERM');
  await app.exited;
  const cells: Record<string, number> = {};
  for (const batch of sink.batches as Batch[]) for (const cell of batch.rollups) cells[`${cell.method} ${cell.route} ${cell.statusClass}`] = (cells[`${cell.method} ${cell.route} ${cell.statusClass}`] ?? 0) + cell.count;
  expect(app.stderr.split('\n').filter((line) => line.startsWith('bun-apm'))).toEqual([]); // nothing said by the preload
  return cells;
}

test('Express: every request counted under the route that answered, its router\'s mount path included', async () => {
  const cells = await counted(EXPRESS_APP, async (app) => {
    for (let i = 0; i < 4; i++) expect((await app.fetch(`/users/${i}`)).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await app.fetch(`/api/items/item-${i}`)).status).toBe(201);
    expect((await app.fetch('/boom')).status).toBe(500);
    expect((await app.fetch('/nowhere')).status).toBe(404);
    // Answered by middleware mounted at a path (Express cuts it off req.url as it routes): named by the path asked.
    for (let i = 0; i < 2; i++) expect((await app.fetch('/graphql', { method: 'POST' })).status).toBe(200);
    expect((await app.fetch('/api')).status).toBe(200);
    // Out of its router to the app's error handler: Express resets the mount path, and the route's template still names it.
    expect((await app.fetch('/api/items/bad')).status).toBe(500);
  });
  // '/ready' (the wait for the port) and '/nowhere' matched no route: named from their paths.
  expect(cells).toEqual({
    'GET /users/:id 2xx': 4, 'GET /api/items/:itemId 2xx': 3, 'GET /boom 5xx': 1, 'GET /nowhere 4xx': 1, 'GET /ready 4xx': 1,
    'POST /graphql 2xx': 2, 'GET /api 2xx': 1, 'GET /api/items/:itemId 5xx': 1,
  });
}, 60_000);

test('node:http: the status sent, and a client gone before the answer is a 499', async () => {
  const cells = await counted(PLAIN_APP, async (app) => {
    for (let i = 0; i < 5; i++) expect((await app.fetch(`/orders/${i}`)).status).toBe(200);
    // The Host header is the client's: it takes no part in the name (it had: /admin/secret/orders/:id).
    expect((await app.fetch('/orders/9', { headers: { host: 'evil/admin/secret' } })).status).toBe(200);
    expect((await app.fetch('/missing')).status).toBe(404);
    const gone = new AbortController();
    const slow = app.fetch('/slow', { signal: gone.signal }).catch(() => 'aborted');
    await Bun.sleep(100);
    gone.abort();
    expect(await slow).toBe('aborted');
    await Bun.sleep(600); // the app ends its answer to nobody
  });
  expect(cells).toEqual({ 'GET /ready 2xx': 1, 'GET /orders/:id 2xx': 6, 'GET /missing 4xx': 1, 'GET /slow 4xx': 1 });
}, 60_000);
