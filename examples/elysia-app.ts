// An Elysia app. Elysia hands its routes to Bun.serve's `routes` table, so the preload keys each
// request by the Elysia path (`/users/:id`) with no Elysia-specific hook.
//   PORT=3000 bun --preload bun-apm/preload examples/elysia-app.ts
import { Elysia } from 'elysia';

const users = new Map([['1', { id: '1', name: 'Ada' }]]);

const app = new Elysia()
  .get('/', () => 'hello from elysia')
  .get('/users/:id', ({ params, status }) => users.get(params.id) ?? status(404, 'no such user'))
  .post('/users', ({ body, set }) => {
    set.status = 201;
    return body;
  })
  .get('/boom', () => {
    throw new RangeError('boom');
  })
  .listen({ hostname: process.env.HOST ?? '127.0.0.1', port: Number(process.env.PORT ?? 3000) });

console.log(`elysia app listening on ${app.server?.url}`);
