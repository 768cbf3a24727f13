// The Jaeger exporter's body, as a collector receives it, decoded by the `thrift` package against
// jaeger.thrift's field ids and types (support/jaeger-thrift-decoder.ts), field by field.
import { afterEach, expect, test } from 'bun:test';
import { createJaegerExporter } from '../../../src/plugin/runtime/exporters/index.ts';
import { startCollector, type Collector } from './support/collector.ts';
import { decodeJaegerBatch, tagValues, type JaegerBatch } from './support/jaeger-thrift-decoder.ts';
import { makeSpan } from './support/spans.ts';
import type { Span } from '../../../src/core/wire-format.ts';

let collector: Collector | undefined;
afterEach(async () => {
  await collector?.stop();
  collector = undefined;
});

async function deliver(spans: Span[], resourceAttributes?: Record<string, string | number | boolean>): Promise<JaegerBatch> {
  collector = startCollector();
  const exporter = createJaegerExporter({ endpoint: collector.url, serviceName: 'checkout', resourceAttributes, maxExportBatchSize: 10_000 });
  exporter.export(spans);
  await exporter.shutdown();
  expect(collector.received).toHaveLength(1);
  return decodeJaegerBatch(collector.received[0]!.body);
}

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

test('ids, operation, times in µs, tags, logs and process decode as jaeger.thrift defines them', async () => {
  const root = makeSpan({
    traceId: TRACE,
    spanId: '00f067aa0ba902b7',
    name: 'GET /users/:id',
    kind: 'server',
    startTime: 1_700_000_000_123.456,
    duration: 12.5,
    status: 'ok',
    tags: { 'http.method': 'GET', 'http.status_code': 200, ratio: 0.25, cached: false, 'big.negative': -9_007_199_254_740_991 },
  });
  const child = makeSpan({
    traceId: TRACE,
    spanId: 'f0e1d2c3b4a59687', // top bit set: an i64 that reads as negative
    parentSpanId: '00f067aa0ba902b7',
    name: 'database-query',
    kind: 'client',
    startTime: 1_700_000_000_125,
    duration: 3.25,
    status: 'error',
    error: 'connection reset',
    tags: { 'db.table': 'users' },
    logs: [{ timestamp: 1_700_000_000_126.5, level: 'error', message: 'Database error', fields: { error: 'connection reset', retries: 2 } }],
  });
  const internal = makeSpan({ traceId: TRACE, parentSpanId: '00f067aa0ba902b7', kind: 'internal', status: 'unset', tags: {} });

  const batch = await deliver([root, child, internal], { 'host.name': 'web-1', pid: 4242 });

  expect(batch.process.serviceName).toBe('checkout');
  expect(tagValues(batch.process.tags)).toEqual({ 'host.name': 'web-1', pid: 4242 });
  expect(batch.spans).toHaveLength(3);

  const [r, c, i] = batch.spans;
  expect(r!.traceIdHigh).toBe(TRACE.slice(0, 16));
  expect(r!.traceIdLow).toBe(TRACE.slice(16));
  expect(r!.spanId).toBe('00f067aa0ba902b7');
  expect(r!.parentSpanId).toBe('0000000000000000'); // a root: 0, the field being required
  expect(r!.operationName).toBe('GET /users/:id');
  expect(r!.flags).toBe(1);
  expect(r!.startTime).toBe(1_700_000_000_123_456);
  expect(r!.duration).toBe(12_500);
  expect(tagValues(r!.tags)).toEqual({
    'http.method': 'GET',
    'http.status_code': 200,
    ratio: 0.25,
    cached: false,
    'big.negative': -9_007_199_254_740_991,
    'span.kind': 'server',
    'otel.status_code': 'OK',
  });
  expect(r!.logs).toBeUndefined();

  expect(c!.spanId).toBe('f0e1d2c3b4a59687');
  expect(c!.parentSpanId).toBe('00f067aa0ba902b7');
  expect(c!.startTime).toBe(1_700_000_000_125_000);
  expect(c!.duration).toBe(3250);
  expect(tagValues(c!.tags)).toEqual({
    'db.table': 'users',
    'span.kind': 'client',
    error: true,
    'otel.status_code': 'ERROR',
    'otel.status_description': 'connection reset',
  });
  expect(c!.logs).toHaveLength(1);
  expect(c!.logs![0]!.timestamp).toBe(1_700_000_000_126_500);
  expect(tagValues(c!.logs![0]!.fields)).toEqual({ level: 'error', message: 'Database error', error: 'connection reset', retries: 2 });

  // internal has no span.kind in Jaeger's vocabulary, and unset status writes no status tags.
  expect(tagValues(i!.tags)).toEqual({});
});

test('UTF-8 names, long strings and many spans (the encoder buffer grows) decode intact', async () => {
  const long = 'x'.repeat(5000);
  const spans = Array.from({ length: 150 }, (_, n) => makeSpan({ name: `GET /café/☕/${n}`, tags: { long, n } }));
  const batch = await deliver(spans);
  expect(batch.spans).toHaveLength(150);
  batch.spans.forEach((span, n) => {
    expect(span.operationName).toBe(`GET /café/☕/${n}`);
    expect(span.spanId).toBe(spans[n]!.spanId);
    expect(tagValues(span.tags)).toMatchObject({ long, n });
  });
});
