// App for monitor-preload.test.ts: a Bun.serve app using the middleware in the spec's order (the
// dashboard last, after an await, so the monitor and the tracers see its requests first), run under
// the preload. Two tracers, each with an exporter of its own. /stats answers what the monitor has
// counted so far (the /stats request itself not yet included) and what each tracer's exporter and
// recent spans hold. NO_MONITOR=1: the same without the monitor.
import { instrument, performanceDashboard, performanceMonitor, requestTracer, type Middleware, type TraceSpan } from '../../src/middleware/index.ts';

const exported: TraceSpan[] = [];
const exportedB: TraceSpan[] = [];
const monitor = process.env.NO_MONITOR ? undefined : performanceMonitor({ sampleRate: 1, profiling: { enabled: false } });
const tracer = requestTracer({
  sampleRate: 1,
  includeQueryParams: true,
  includeHeaders: true,
  includeResponseBody: true,
  exporters: [{ type: 'custom', customExporter: (spans) => void exported.push(...spans) }],
});
const tracerB = requestTracer({ sampleRate: 1, exporters: [{ type: 'custom', customExporter: (spans) => void exportedB.push(...spans) }] });
const dashboard = performanceDashboard({ path: '/performance', monitor, tracer, authentication: { enabled: true, apiKey: 'dashboard-key-0123456789' } });
const afterAnAwait: Middleware = async (_req, next) => {
  await Bun.sleep(1);
  return next();
};
Bun.serve({
  hostname: '127.0.0.1',
  port: Number(process.env.PORT),
  fetch: instrument(async (req) => {
    const path = new URL(req.url).pathname;
    if (path === '/stats') {
      await Promise.all([tracer.flush(), tracerB.flush()]);
      return Response.json({ count: monitor?.getAggregatedMetrics(3_600_000).count, exported, exportedB, recent: tracer.getRecentSpans() });
    }
    const child = tracer.createChildSpan(req.spanId!, 'work');
    if (child) tracer.finish(child, 'ok');
    return Response.json({ traceId: req.traceId, spanId: req.spanId, child });
  }, ...(monitor ? [monitor] : []), tracer, tracerB, afterAnAwait, dashboard),
});
