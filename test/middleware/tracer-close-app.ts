// App for tracer-close.test.ts: the explicit API alone (no preload), a RequestTracer shipping to an
// otlp collector at TRACER_ENDPOINT (retry: RETRY_JSON). On SIGTERM: stop the server, await
// tracer.close(), say how long it took, then exit 0 — the code after the await must run. With
// LINGER, no process.exit(): the process ends when nothing is left to do.
import { instrument, requestTracer } from '../../src/middleware/index.ts';

const tracer = requestTracer({
  sampleRate: 1,
  serviceName: 'close-svc',
  exporters: [{ type: 'otlp', endpoint: process.env.TRACER_ENDPOINT!, ...(process.env.RETRY_JSON ? { retry: JSON.parse(process.env.RETRY_JSON) } : {}) }],
});
const server = Bun.serve({ hostname: '127.0.0.1', port: Number(process.env.PORT), fetch: instrument(() => new Response('ok'), tracer) });
process.on('SIGTERM', async () => {
  server.stop(true);
  const from = performance.now();
  await tracer.close();
  console.log(`close took ${Math.round(performance.now() - from)} ms`);
  if (!process.env.LINGER) process.exit(0);
});
