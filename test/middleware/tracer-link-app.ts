// App for tracer-link.test.ts, run under the preload: a RequestTracer (serviceName TRACER_SERVICE)
// ships to an otlp collector at TRACER_ENDPOINT every 100 ms. With LEAF_PORT, GET /root fetches
// GET /leaf there (plain fetch: the preload records its client span) and answers what the leaf said;
// /leaf answers the traceparent it received and the span id it answers under.
import { instrument, requestTracer } from '../../src/middleware/index.ts';

const tracer = requestTracer({
  sampleRate: 1,
  serviceName: process.env.TRACER_SERVICE,
  exporters: [{ type: 'otlp', endpoint: process.env.TRACER_ENDPOINT!, scheduledDelayMs: 100 }],
});
Bun.serve({
  hostname: '127.0.0.1',
  port: Number(process.env.PORT),
  fetch: instrument(async (req) => {
    if (new URL(req.url).pathname === '/leaf') return Response.json({ incoming: req.headers.get('traceparent') });
    const leaf = await fetch(`http://127.0.0.1:${process.env.LEAF_PORT}/leaf`);
    const answer = (await leaf.json()) as { incoming: string };
    return Response.json({ ...answer, leafTraceparent: leaf.headers.get('traceparent') });
  }, tracer),
});
