// OpenTelemetry manual tracing, the usual choice, preloaded so that bench/overhead.ts can run it on
// the same apps: a server span per request (method, route or path, status), a BatchSpanProcessor
// with its default queue and delay, and an exporter that ships the spans as gzipped JSON to the
// same sink as bun-apm (so bytes shipped compare). OpenTelemetry's Node auto-instrumentation does
// not hook Bun.serve, so this is what an app would write by hand.
//   bun --preload ./bench/apps/otel-preload.ts bench/apps/hello.ts
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { BasicTracerProvider, BatchSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { patchServe, type Handler } from './patch-serve.ts';

const endpoint = process.env.BUN_APM_ENDPOINT;
const originalFetch = globalThis.fetch;

const exporter: SpanExporter = {
  export(spans: ReadableSpan[], done) {
    if (!endpoint) return done({ code: 0 });
    const body = JSON.stringify({
      identity: { app: process.env.BUN_APM_APP },
      spans: spans.map((s) => ({ traceId: s.spanContext().traceId, spanId: s.spanContext().spanId, name: s.name, start: s.startTime, end: s.endTime, attributes: s.attributes, status: s.status.code })),
    });
    originalFetch(`${endpoint}/v1/ingest`, { method: 'POST', body: Bun.gzipSync(body), headers: { 'content-encoding': 'gzip' } }).then(
      () => done({ code: 0 }),
      () => done({ code: 1 }),
    );
  },
  shutdown: async () => {},
};

const provider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(exporter)] });
trace.setGlobalTracerProvider(provider);
const tracer = trace.getTracer('bench');


function wrap(handler: Handler, route?: string): Handler {
  return function traced(this: unknown, request: Request, server: unknown): unknown {
    const span = tracer.startSpan(route ?? 'request', { kind: SpanKind.SERVER, attributes: { 'http.request.method': request.method, 'url.full': request.url } });
    const end = (result: unknown) => {
      if (result instanceof Response) span.setAttribute('http.response.status_code', result.status);
      span.end();
      return result;
    };
    try {
      const result = handler.call(this, request, server);
      if (result instanceof Promise) return result.then(end, (error: unknown) => {
        span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
        throw error;
      });
      return end(result);
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
      throw error;
    }
  };
}

patchServe(wrap);

process.on('SIGTERM', () => {
  provider.forceFlush().finally(() => process.exit(0));
});
