// App for monitor-preload.test.ts: a Bun.serve app using the middleware, run under the preload.
// /stats answers what the monitor has counted so far (the /stats request itself not yet included).
import { instrument, performanceMonitor, requestTracer } from '../../src/middleware/index.ts';

const monitor = performanceMonitor({ sampleRate: 1, profiling: { enabled: false } });
const tracer = requestTracer({ sampleRate: 1 });
Bun.serve({
  hostname: '127.0.0.1',
  port: Number(process.env.PORT),
  fetch: instrument((req) => {
    const path = new URL(req.url).pathname;
    if (path === '/stats') {
      return Response.json({ count: monitor.getAggregatedMetrics(3_600_000).count, serverSpans: tracer.getRecentSpans().filter((s) => s.kind === 'server').length });
    }
    const child = tracer.createChildSpan(req.spanId!, 'work');
    if (child) tracer.finish(child, 'ok');
    return Response.json({ traceId: req.traceId, spanId: req.spanId, child });
  }, monitor, tracer),
});
