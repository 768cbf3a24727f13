// A bun-router app. bun-router 0.8.1 imports `renderToReadableStream` from react-dom/server, which
// react-dom 18 only exports under the `browser` condition, so this app (with or without bun-apm) runs as:
//   PORT=3000 bun --conditions=browser --preload bun-apm/preload examples/bun-router-app.ts
import { http, Router } from 'bun-router';

const router = Router(Number(process.env.PORT ?? 3000), { hostname: process.env.HOST ?? '127.0.0.1' });

router.get('/', () => http.ok('hello from bun-router'));
// bun-router keeps one method per path node, taken from the first route through it: POST /users
// must come before GET /users/:id creates the `users` node as GET.
router.post('/users', async (ctx) => http.json(201, await ctx.request.json()));
router.get('/users/:id', (ctx) => http.json(200, { id: ctx.params.get('id') }));
router.get('/users/:id/orders/:orderId', (ctx) => http.json(200, { user: ctx.params.get('id'), order: ctx.params.get('orderId') }));
router.get('/boom', () => {
  throw new Error('boom');
});

router.serve();
