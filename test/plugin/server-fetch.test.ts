// `server.fetch(request)` from the app's own code (a test harness warming up, an internal
// re-dispatch) goes over no network and is no HTTP request: a review found each counted as traffic,
// and as a 5xx where the handler read the server Bun does not pass then. Requests over HTTP count.
import { expect, test } from 'bun:test';
import { countedCells } from './support/node-http-app.ts';

test('server.fetch calls of the app itself are not counted; the HTTP request that made one is', async () => {
  const cells = await countedCells(
    'server-fetch',
    `const server = Bun.serve({
  hostname: '127.0.0.1',
  port: Number(process.env.PORT),
  routes: { '/ready': new Response('ready'), '/users/:id': (req) => Response.json({ id: req.params.id }) },
  async fetch(request, server) {
    const { pathname } = new URL(request.url);
    if (pathname === '/internal') return new Response(await (await this.fetch(new Request('http://app/inner'))).text());
    return new Response(server === undefined ? 'inner' : 'outer');
  },
});
// A harness's warm-up before any traffic.
for (let i = 0; i < 3; i++) await server.fetch(new Request('http://app/warm-up'));
await server.fetch(new Request('http://app/users/1'));
`,
    async (app) => {
      for (let i = 0; i < 4; i++) expect(await (await app.fetch('/internal')).text()).toBe('inner');
      expect(await (await app.fetch('/users/7')).json()).toEqual({ id: '7' });
    },
  );
  expect(cells).toEqual({ 'GET /ready 2xx': 1, 'GET /internal 2xx': 4, 'GET /users/:id 2xx': 1 });
}, 60_000);
