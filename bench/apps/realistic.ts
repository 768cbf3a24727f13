// A handler shaped like real ones: reads the `authorization` header and the query string, and
// answers about 1 KB of JSON. bench/overhead.ts measures bun-apm on it next to hello world.
//   PORT=3000 bun bench/apps/realistic.ts   then   GET /search?q=bun&page=2 with a bearer token
export {}; // a module: its names stay its own

const catalogue = Array.from({ length: 10 }, (_, i) => ({
  id: `item-${i + 1}`,
  name: `Product number ${i + 1}`,
  price: 10 + i * 2.5,
  tags: ['bench', 'json', `group-${i % 3}`],
  inStock: i % 2 === 0,
}));

const server = Bun.serve({
  hostname: '127.0.0.1',
  port: Number(process.env.PORT ?? 3000),
  fetch(request) {
    const auth = request.headers.get('authorization');
    if (auth === null || !auth.startsWith('Bearer ')) return new Response('unauthorised', { status: 401 });
    const url = new URL(request.url);
    const page = Number(url.searchParams.get('page') ?? 1);
    return Response.json({ query: url.searchParams.get('q') ?? '', page, user: auth.slice(7, 15), results: catalogue });
  },
});
console.log(`realistic app listening on ${server.url}`);
