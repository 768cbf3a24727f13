// A Hono app: a logging middleware, routes with params, a route that calls another service with
// fetch (DOWNSTREAM_URL), one that throws, and Hono's own error handler.
//   PORT=3000 bun --preload bun-apm/preload examples/hono-app.ts
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';

const app = new Hono();

app.use('*', async (c, next) => {
  await next();
  c.header('x-app', 'hono-example');
});

app.get('/', (c) => c.text('hello from hono'));
app.get('/users/:id', (c) => c.json({ id: c.req.param('id') }));
app.get('/users/:id/posts/:postId', (c) => c.json({ user: c.req.param('id'), post: c.req.param('postId') }));
app.get('/private', () => {
  throw new HTTPException(401, { message: 'sign in first' });
});
app.get('/boom', () => {
  throw new RangeError('boom');
});
app.get('/relay/:id', async (c) => {
  const downstream = process.env.DOWNSTREAM_URL;
  if (!downstream) return c.text('DOWNSTREAM_URL is not set', 503);
  const response = await fetch(`${downstream}/users/${c.req.param('id')}`);
  return c.json({ via: 'hono', status: response.status, body: await response.json() });
});

// A sub-app mounted under /api: its routes are keyed by the full template (/api/items/:itemId).
const api = new Hono();
api.get('/items/:itemId', (c) => c.json({ item: c.req.param('itemId') }));
app.route('/api', api);

app.onError((error, c) => {
  if (error instanceof HTTPException) return error.getResponse();
  return c.json({ error: error.message }, 500);
});

export default {
  hostname: process.env.HOST ?? '127.0.0.1',
  port: Number(process.env.PORT ?? 3000),
  fetch: app.fetch,
};
