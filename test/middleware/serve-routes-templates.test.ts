// Bun.serve `routes` with the explicit middleware and no preload: a route's template is found from
// the request's parameters, so the monitor and the tracer name `/orgs/:org/repos/:repo`, not each
// organisation's path (a review: without the preload, the routes' keys were not used).
import { afterAll, expect, test } from 'bun:test';
import { instrument, PerformanceMonitor, RequestTracer } from '../../src/middleware/index.ts';

const monitor = new PerformanceMonitor({ sampleRate: 1, profiling: { enabled: false } });
const tracer = new RequestTracer({ sampleRate: 1 });
const answer = (req: Request) => new Response(new URL(req.url).pathname);
const server = Bun.serve({
  hostname: '127.0.0.1',
  port: 0,
  routes: {
    '/orgs/:org/repos/:repo': instrument(answer, monitor, tracer),
    '/files/:id/*': instrument(answer, monitor, tracer),
    '/health': instrument(answer, monitor, tracer),
  },
  fetch: instrument(answer, monitor, tracer),
});
afterAll(async () => {
  server.stop(true);
  await tracer.close();
  await monitor.close();
});

test('each request is counted under its route’s template; the rest of a wildcard and a fetch handler’s path are normalised', async () => {
  const paths = ['/orgs/acme/repos/widget', '/orgs/globex/repos/gadget', '/orgs/a%20b/repos/x', '/orgs/same/repos/same', '/files/7/2024/report-0123456789abcdef.pdf', '/health', '/users/42', '/orgs/orgs/repos/w'];
  for (const path of paths) expect(await (await fetch(`http://127.0.0.1:${server.port}${path}`)).text()).toBe(new URL(path, 'http://x').pathname);
  expect(monitor.getMetrics().map((m) => [m.path, m.route])).toEqual([
    ['/orgs/acme/repos/widget', '/orgs/:org/repos/:repo'],
    ['/orgs/globex/repos/gadget', '/orgs/:org/repos/:repo'],
    ['/orgs/a%20b/repos/x', '/orgs/:org/repos/:repo'],
    ['/orgs/same/repos/same', '/orgs/:org/repos/:repo'],
    ['/files/7/2024/report-0123456789abcdef.pdf', '/files/:id/:id/:id'],
    ['/health', '/health'],
    ['/users/42', '/users/:id'],
    // The value could be the word or the parameter: not guessed (a review: `/:org/orgs/repos/:repo`), the path normalised.
    ['/orgs/orgs/repos/w', '/orgs/orgs/repos/w'],
  ]);
  const spans = tracer.getRecentSpans().filter((span) => span.kind === 'server');
  expect(spans.map((span) => span.tags['http.route'])).toEqual(['/orgs/:org/repos/:repo', '/orgs/:org/repos/:repo', '/orgs/:org/repos/:repo', '/orgs/:org/repos/:repo', '/files/:id/:id/:id', '/health', '/users/:id', '/orgs/orgs/repos/w']);
});
