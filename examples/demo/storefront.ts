// The demo's front service: a bun-router app that calls the catalog (a Hono app) for products and
// search, so one trace crosses both services. Checkout fails now and then, as checkouts do.
//   CATALOG_URL=http://127.0.0.1:3101 PORT=3100 bun --conditions=browser --preload bun-apm/preload examples/demo/storefront.ts
import { http, Router } from 'bun-router';

const catalog = process.env.CATALOG_URL ?? 'http://127.0.0.1:3101';
const router = Router(Number(process.env.PORT ?? 3100), { hostname: process.env.HOST ?? '127.0.0.1' });

router.get('/', () => http.ok('storefront'));
router.get('/products/:id', async (ctx) => {
  const response = await fetch(`${catalog}/items/${ctx.params.get('id')}`);
  return http.json(response.status, await response.json());
});
router.get('/search', async (ctx) => {
  const response = await fetch(`${catalog}/search${new URL(ctx.request.url).search}`);
  return http.json(response.status, await response.json());
});
router.post('/checkout', async (ctx) => {
  const order = (await ctx.request.json()) as { items?: unknown[] };
  if (Math.random() < 0.05) return http.json(503, { error: 'payment provider timed out' });
  return http.json(201, { ok: true, items: order.items?.length ?? 0 });
});

router.serve();
