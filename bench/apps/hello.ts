// The smallest Bun HTTP app: the floor every overhead figure in bench/overhead.ts is measured against.
const server = Bun.serve({
  hostname: '127.0.0.1',
  port: Number(process.env.PORT ?? 3000),
  fetch: () => new Response('Hello, world!'),
});
console.log(`hello app listening on ${server.url}`);
