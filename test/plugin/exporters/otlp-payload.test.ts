// The OTLP exporter's body, as a collector receives it, checked against the official
// opentelemetry-proto definitions through protobufjs (support/otlp-proto.ts), field by field;
// and the collector's partialSuccess answer.
import { afterEach, expect, test } from 'bun:test';
import { createOtlpExporter } from '../../../src/plugin/runtime/exporters/index.ts';
import type { Span } from '../../../src/core/wire-format.ts';
import { startCollector, type Collector } from './support/collector.ts';
import { parseOtlpTraceRequest } from './support/otlp-proto.ts';
import { makeSpan, makeSpans } from './support/spans.ts';

let collector: Collector | undefined;
afterEach(async () => {
  await collector?.stop();
  collector = undefined;
});

async function deliver(spans: Span[]): Promise<Record<string, any>> {
  collector = startCollector({ defaultStatus: 200 });
  const exporter = createOtlpExporter({ endpoint: collector.url, serviceName: 'checkout', resourceAttributes: { 'host.name': 'web-1', 'process.pid': 4242 } });
  exporter.export(spans);
  await exporter.shutdown();
  expect(collector.received).toHaveLength(1);
  return parseOtlpTraceRequest(new TextDecoder().decode(collector.received[0]!.body));
}

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

test('an ExportTraceServiceRequest with resource, scope, hex ids, nano times, enums and AnyValues', async () => {
  const request = await deliver([
    makeSpan({
      traceId: TRACE,
      spanId: '00f067aa0ba902b7',
      kind: 'server',
      startTime: 1_700_000_000_123.456,
      duration: 12.5,
      status: 'ok',
      tags: { 'http.method': 'GET', 'http.status_code': 200, ratio: 0.25, cached: false, odd: Number.NaN },
    }),
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
      tags: {},
      logs: [{ timestamp: 1_700_000_000_126.5, level: 'error', message: 'Database error', fields: { retries: 2 } }],
    }),
    makeSpan({ traceId: TRACE, parentSpanId: '00f067aa0ba902b7', kind: 'internal', status: 'unset', tags: {} }),
  ]);

  expect(request.resourceSpans).toHaveLength(1);
  const [resourceSpans] = request.resourceSpans;
  expect(resourceSpans.resource.attributes).toEqual([
    { key: 'host.name', value: { stringValue: 'web-1' } },
    { key: 'process.pid', value: { intValue: '4242' } },
    { key: 'service.name', value: { stringValue: 'checkout' } },
  ]);
  expect(resourceSpans.scopeSpans).toHaveLength(1);
  expect(resourceSpans.scopeSpans[0].scope.name).toBe('bun-apm');
  const [server, client, internal] = resourceSpans.scopeSpans[0].spans;

  expect(server).toMatchObject({
    traceId: TRACE,
    spanId: '00f067aa0ba902b7',
    name: 'GET /users/:id',
    kind: 2, // SPAN_KIND_SERVER
    startTimeUnixNano: '1700000000123456000',
    endTimeUnixNano: '1700000000135956000',
    status: { code: 1 }, // STATUS_CODE_OK
  });
  expect(server.parentSpanId).toBeUndefined();
  expect(server.attributes.slice(0, 4)).toEqual([
    { key: 'http.method', value: { stringValue: 'GET' } },
    { key: 'http.status_code', value: { intValue: '200' } },
    { key: 'ratio', value: { doubleValue: 0.25 } },
    { key: 'cached', value: { boolValue: false } },
  ]);
  expect(server.attributes[4].key).toBe('odd');
  expect(Number.isNaN(server.attributes[4].value.doubleValue)).toBe(true);

  expect(client).toMatchObject({
    parentSpanId: '00f067aa0ba902b7',
    kind: 3, // SPAN_KIND_CLIENT
    startTimeUnixNano: '1700000000125000000',
    endTimeUnixNano: '1700000000128250000',
    status: { code: 2, message: 'connection reset' }, // STATUS_CODE_ERROR
  });
  expect(client.events).toEqual([
    {
      timeUnixNano: '1700000000126500000',
      name: 'Database error',
      attributes: [
        { key: 'level', value: { stringValue: 'error' } },
        { key: 'retries', value: { intValue: '2' } },
      ],
    },
  ]);
  expect(internal.kind).toBe(1); // SPAN_KIND_INTERNAL
  expect(internal.status?.code ?? 0).toBe(0); // STATUS_CODE_UNSET, the proto3 default
});

test('the proto check itself refuses what the definitions do not allow', () => {
  const body = (span: Record<string, unknown>) =>
    JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: TRACE, spanId: '00f067aa0ba902b7', name: 'x', ...span }] }] }] });
  expect(() => parseOtlpTraceRequest(body({ kind: 2 }))).not.toThrow();
  for (const bad of [
    { kind: 'SPAN_KIND_SERVER' }, // OTLP/JSON: enums as integers
    { kind: 9 },
    { startTimeUnixNano: 1.5 },
    { traceId: Buffer.from(TRACE, 'hex').toString('base64') }, // OTLP/JSON: ids in hex
    { start_time_unix_nano: '1' }, // OTLP/JSON: lowerCamelCase keys
    { attributes: [{ key: 'a', value: { stringValue: 'x', intValue: '1' } }] }, // one AnyValue member
    { status: { code: 1, text: 'ok' } },
  ]) {
    expect(() => parseOtlpTraceRequest(body(bad))).toThrow();
  }
});

test('partialSuccess in a 200: the rejected spans count as dropped and the message is logged', async () => {
  collector = startCollector({
    defaultStatus: 200,
    responseBody: JSON.stringify({ partialSuccess: { rejectedSpans: '2', errorMessage: 'span name too long' } }),
  });
  const logs: string[] = [];
  const exporter = createOtlpExporter({ endpoint: collector.url, serviceName: 'checkout', log: (m) => logs.push(m) });
  exporter.export(makeSpans(5));
  await exporter.flush();
  expect(exporter.delivered).toBe(3);
  expect(exporter.dropped).toBe(2);
  expect(logs).toEqual(['exporter otlp: 2 span(s) dropped: rejected by the backend (span name too long)']);
});
