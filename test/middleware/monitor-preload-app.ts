// App for monitor-preload.test.ts: a Bun.serve app using the middleware in the spec's order (the
// dashboard last, so the monitor and the tracer see its requests first), run under the preload.
// /stats answers what the monitor has counted so far (the /stats request itself not yet included)
// and what the tracer's own exporter and recent spans hold.
import { instrument, performanceDashboard, performanceMonitor, requestTracer, type TraceSpan } from '../../src/middleware/index.ts';

const exported: TraceSpan[] = [];
const monitor = performanceMonitor({ sampleRate: 1, profiling: { enabled: false } });
const tracer = requestTracer({
  sampleRate: 1,
  includeQueryParams: true,
  includeHeaders: true,
  includeResponseBody: true,
  exporters: [{ type: 'custom', customExporter: (spans) => void exported.push(...spans) }],
});
const dashboard = performanceDashboard({ path: '/performance', monitor, tracer, authentication: { enabled: true, apiKey: 'dashboard-key-0123456789' } });
Bun.serve({
  hostname: '127.0.0.1',
  port: Number(process.env.PORT),
  fetch: instrument(async (req) => {
    const path = new URL(req.url).pathname;
    if (path === '/stats') {
      await tracer.flush();
      return Response.json({ count: monitor.getAggregatedMetrics(3_600_000).count, exported, recent: tracer.getRecentSpans() });
    }
    const child = tracer.createChildSpan(req.spanId!, 'work');
    if (child) tracer.finish(child, 'ok');
    return Response.json({ traceId: req.traceId, spanId: req.spanId, child });
  }, monitor, tracer, dashboard),
});
