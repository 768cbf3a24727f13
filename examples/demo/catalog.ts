// The demo's downstream service: a Hono app serving a product catalog, with a search whose
// latency the caller can dial up (`delay`, bounded) so the demo can stage a slowdown.
//   PORT=3101 bun --preload bun-apm/preload examples/demo/catalog.ts
import { Hono } from 'hono';

const app = new Hono();
const products = new Map(Array.from({ length: 50 }, (_, i) => [String(i + 1), { id: String(i + 1), name: `Product ${i + 1}`, price: 5 + i }]));

app.get('/items/:id', (c) => {
  const item = products.get(c.req.param('id'));
  return item ? c.json(item) : c.json({ error: 'no such item' }, 404);
});

app.get('/search', async (c) => {
  const delay = Math.min(Math.max(Number(c.req.query('delay') ?? 20) || 0, 0), 2000);
  await Bun.sleep(delay * (0.5 + Math.random()));
  const q = (c.req.query('q') ?? '').toLowerCase();
  return c.json([...products.values()].filter((p) => p.name.toLowerCase().includes(q)).slice(0, 10));
});

app.get('/health', (c) => c.text('ok'));

export default { port: Number(process.env.PORT ?? 3101), hostname: process.env.HOST ?? '127.0.0.1', fetch: app.fetch };
