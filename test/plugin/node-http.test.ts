// node:http servers under the real preload (Express, and a plain createServer), which Bun runs on
// Bun.serve with a handler of its own: every request is counted, under Express's route templates
// where it routed, with the status sent; a client that goes away first is a 499. They had not been
// counted at all (a review: an Express app under the preload reported nothing).
import { expect, test } from 'bun:test';
import type { AppProcess } from './support/app-process.ts';
import { countedCells } from './support/node-http-app.ts';

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

/** PLAIN_APP with a response class of its own whose emit is its own: the preload's end is a listener there. */
const OWN_RESPONSE_APP = PLAIN_APP.replace(
  "import { createServer } from 'node:http';\ncreateServer((req, res) => {",
  "import { createServer, ServerResponse } from 'node:http';\nclass Answer extends ServerResponse { emit(...args) { return super.emit(...args); } }\ncreateServer({ ServerResponse: Answer }, (req, res) => {",
);

const counted = (source: string, requests: (app: AppProcess) => Promise<void>) => countedCells('node-http', source, requests);

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

test.each([['ServerResponse', PLAIN_APP], ['a response class with an emit of its own', OWN_RESPONSE_APP]])('node:http (%s): the status sent, and a client gone before the answer is a 499', async (_, source) => {
  expect(OWN_RESPONSE_APP).toContain('class Answer');
  const cells = await counted(source, async (app) => {
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
