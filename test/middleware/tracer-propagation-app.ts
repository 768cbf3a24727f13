// App for tracer-propagation.test.ts, run under the preload with its own tracing off
// (BUN_APM_TRACE_SAMPLE_RATE=0), so each trace is the RequestTracer's: propagation on unless
// PROPAGATION=off. GET /root fetches GET /leaf on this same app with a plain fetch and answers
// the headers the leaf received; /leaf answers the trace headers it received.
import { compose, requestTracer } from '../../src/middleware/index.ts';

const tracer = requestTracer({ sampleRate: 1, propagation: { enabled: process.env.PROPAGATION !== 'off' } });
const traceHeaders = (req: Request) => ({ traceparent: req.headers.get('traceparent'), tracestate: req.headers.get('tracestate') });
Bun.serve({
  hostname: '127.0.0.1',
  port: Number(process.env.PORT),
  fetch: compose([tracer], async (req) => {
    if (new URL(req.url).pathname === '/leaf') return Response.json(traceHeaders(req));
    const leaf = await fetch(`http://127.0.0.1:${process.env.PORT}/leaf`);
    return Response.json({ leafReceived: await leaf.json(), traceId: (req as { traceId?: string }).traceId });
  }),
});
