// A Bun.serve app using `routes`: static responses, handlers with params, per-method objects, a
// fetch fallback and an error handler. Shuts down gracefully on SIGTERM.
//   PORT=3000 bun --preload bun-apm/preload examples/routes-app.ts
export {}; // a module, not a script: its names stay its own

const users = new Map<string, { id: string; name: string }>([
  ['1', { id: '1', name: 'Ada' }],
  ['2', { id: '2', name: 'Grace' }],
]);

class NotFoundError extends Error {}

const server = Bun.serve({
  hostname: process.env.HOST ?? '127.0.0.1',
  port: Number(process.env.PORT ?? 3000),
  routes: {
    '/health': new Response('OK'),
    '/users': {
      GET: () => Response.json([...users.values()]),
      POST: async (req) => {
        const body = (await req.json()) as { name?: string };
        const id = String(users.size + 1);
        users.set(id, { id, name: body.name ?? 'anonymous' });
        return Response.json(users.get(id), { status: 201 });
      },
    },
    '/users/:id': (req) => {
      const user = users.get(req.params.id);
      if (!user) throw new NotFoundError(`no user ${req.params.id}`);
      return Response.json(user);
    },
    '/boom': () => {
      throw new TypeError('boom');
    },
  },
  fetch(req) {
    const path = new URL(req.url).pathname;
    if (path.startsWith('/orders/')) return Response.json({ order: path.slice('/orders/'.length) });
    return new Response('Not Found', { status: 404 });
  },
  error(error) {
    if (error instanceof NotFoundError) return new Response(error.message, { status: 404 });
    return new Response('Internal Server Error', { status: 500 });
  },
});

console.log(`routes app listening on ${server.url}`);

process.on('SIGTERM', () => {
  server.stop();
  process.exit(0);
});
