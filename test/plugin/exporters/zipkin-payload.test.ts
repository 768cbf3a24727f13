// The Zipkin exporter's body, as a server receives it, validated against the Span schema of
// zipkin2-api.yaml (support/zipkin-schema.ts), then checked field by field.
import { afterEach, expect, test } from 'bun:test';
import { createZipkinExporter } from '../../../src/plugin/runtime/exporters/index.ts';
import type { Span } from '../../../src/core/wire-format.ts';
import { startCollector, type Collector } from './support/collector.ts';
import { makeSpan } from './support/spans.ts';
import { parseZipkinSpans } from './support/zipkin-schema.ts';

let collector: Collector | undefined;
afterEach(async () => {
  await collector?.stop();
  collector = undefined;
});

async function deliver(spans: Span[]): Promise<Array<Record<string, any>>> {
  collector = startCollector();
  const exporter = createZipkinExporter({ endpoint: collector.url, serviceName: 'checkout' });
  exporter.export(spans);
  await exporter.shutdown();
  expect(collector.received).toHaveLength(1);
  return parseZipkinSpans(new TextDecoder().decode(collector.received[0]!.body));
}

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

test('spans conform to the v2 schema and carry ids, kind, µs times, tags and annotations', async () => {
  const [server, client, internal] = await deliver([
    makeSpan({ traceId: TRACE, spanId: '00f067aa0ba902b7', kind: 'server', startTime: 1_700_000_000_123.456, duration: 12.5, tags: { 'http.status_code': 200, cached: true } }),
    makeSpan({
      traceId: TRACE,
      spanId: 'f0e1d2c3b4a59687',
      parentSpanId: '00f067aa0ba902b7',
      name: 'database-query',
      kind: 'client',
      startTime: 1_700_000_000_125,
      duration: 3.25,
      status: 'error',
      error: 'connection reset',
      tags: { 'db.table': 'users' },
      logs: [
        { timestamp: 1_700_000_000_126.5, level: 'error', message: 'Database error', fields: { retries: 2 } },
        { timestamp: 1_700_000_000_127, level: 'info', message: 'gave up' },
      ],
    }),
    makeSpan({ traceId: TRACE, parentSpanId: '00f067aa0ba902b7', kind: 'internal', status: 'unset', duration: 0.0004, tags: {} }),
  ]);

  expect(server).toEqual({
    traceId: TRACE,
    id: '00f067aa0ba902b7',
    name: 'GET /users/:id',
    kind: 'SERVER',
    timestamp: 1_700_000_000_123_456,
    duration: 12_500,
    localEndpoint: { serviceName: 'checkout' },
    tags: { 'http.status_code': '200', cached: 'true', 'otel.status_code': 'OK' },
  });
  expect(client!.parentId).toBe('00f067aa0ba902b7');
  expect(client!.kind).toBe('CLIENT');
  expect(client!.duration).toBe(3250);
  expect(client!.tags).toEqual({ 'db.table': 'users', 'otel.status_code': 'ERROR', error: 'connection reset' });
  expect(client!.annotations).toEqual([
    { timestamp: 1_700_000_000_126_500, value: 'error: Database error {"retries":2}' },
    { timestamp: 1_700_000_000_127_000, value: 'info: gave up' },
  ]);
  // A local span has no kind; a sub-microsecond duration is rounded up to 1, as the API asks.
  expect('kind' in internal!).toBe(false);
  expect(internal!.duration).toBe(1);
  expect(internal!.tags).toEqual({});
});

test('the schema check itself refuses what Zipkin would not take', () => {
  const good = { traceId: TRACE, id: '00f067aa0ba902b7' };
  expect(() => parseZipkinSpans(JSON.stringify([good]))).not.toThrow();
  for (const bad of [
    { ...good, traceId: TRACE.toUpperCase() },
    { ...good, id: '00f067aa' },
    { ...good, kind: 'INTERNAL' },
    { ...good, timestamp: 1.5 },
    { ...good, tags: { n: 1 } },
    { ...good, parentSpanId: '00f067aa0ba902b7' },
  ]) {
    expect(() => parseZipkinSpans(JSON.stringify([bad]))).toThrow('not a Zipkin v2 ListOfSpans');
  }
});
