// App for tracer-exit.test.ts, without the preload: a RequestTracer exporting to OTLP at COLLECTOR,
// its batches held far longer than the test (scheduledDelayMs), so every span is still queued at the
// end. GET /exit calls process.exit(0); GET /stop stops the server, and nothing keeps the loop then.
import { compose, requestTracer } from '../../src/middleware/index.ts';

const tracer = requestTracer({ sampleRate: 1, exporters: [{ type: 'otlp', endpoint: process.env.COLLECTOR!, scheduledDelayMs: 600_000 }] });
const served = Bun.serve({
  hostname: '127.0.0.1',
  port: Number(process.env.PORT),
  fetch: compose([tracer], (req) => {
    const { pathname } = new URL(req.url);
    if (pathname === '/exit') setTimeout(() => process.exit(0), 10);
    if (pathname === '/stop') setTimeout(() => served.stop(), 10);
    return new Response(pathname);
  }),
});
