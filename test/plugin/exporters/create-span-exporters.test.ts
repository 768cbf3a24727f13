// createSpanExporters: the spec's exporter entries in, one exporter each out; environment
// fallbacks; and a clear error at creation for every bad entry.
import { afterEach, expect, test } from 'bun:test';
import { combineSpanExporters, createSpanExporters, type ExporterConfig, type SpanExporter } from '../../../src/plugin/runtime/exporters/index.ts';
import { startCollector, type Collector } from './support/collector.ts';
import { decodeJaegerBatch } from './support/jaeger-thrift-decoder.ts';
import { makeSpans } from './support/spans.ts';
import { parseZipkinSpans } from './support/zipkin-schema.ts';

const collectors: Collector[] = [];
afterEach(async () => {
  await Promise.all(collectors.splice(0).map((collector) => collector.stop()));
});
function collector(): Collector {
  const started = startCollector();
  collectors.push(started);
  return started;
}

test('one exporter per entry, in order, named by type', () => {
  const exporters = createSpanExporters(
    [{ type: 'console' }, { type: 'jaeger', endpoint: 'http://jaeger:14268' }, { type: 'zipkin', endpoint: 'http://zipkin:9411' }, { type: 'otlp', endpoint: 'http://collector:4318' }, { type: 'custom', customExporter: () => {} }],
    { env: {} },
  );
  expect(exporters.map((exporter) => exporter.name)).toEqual(['console', 'jaeger', 'zipkin', 'otlp', 'custom']);
});

test('JAEGER_ENDPOINT and ZIPKIN_ENDPOINT stand in for a missing endpoint; the serviceName is used', async () => {
  const jaeger = collector();
  const zipkin = collector();
  const exporters = createSpanExporters([{ type: 'jaeger' }, { type: 'zipkin', endpoint: undefined }], {
    serviceName: 'checkout',
    env: { JAEGER_ENDPOINT: jaeger.url, ZIPKIN_ENDPOINT: zipkin.url },
  });
  const spans = makeSpans(2);
  for (const exporter of exporters) exporter.export(spans);
  await Promise.all(exporters.map((exporter) => exporter.flush()));
  expect(jaeger.received.map((request) => request.path)).toEqual(['/api/traces']);
  expect(decodeJaegerBatch(jaeger.received[0]!.body).process.serviceName).toBe('checkout');
  expect(zipkin.received.map((request) => request.path)).toEqual(['/api/v2/spans']);
  expect(parseZipkinSpans(new TextDecoder().decode(zipkin.received[0]!.body))[0]!.localEndpoint).toEqual({ serviceName: 'checkout' });
});

test('an entry’s own endpoint wins over the environment, which defaults to process.env', async () => {
  const own = collector();
  const fromEnv = collector();
  const saved = process.env.JAEGER_ENDPOINT;
  process.env.JAEGER_ENDPOINT = fromEnv.url;
  try {
    const [withOwn, withEnv] = createSpanExporters([{ type: 'jaeger', endpoint: own.url }, { type: 'jaeger' }]);
    withOwn!.export(makeSpans(1));
    withEnv!.export(makeSpans(1));
    await Promise.all([withOwn!.flush(), withEnv!.flush()]);
  } finally {
    if (saved === undefined) delete process.env.JAEGER_ENDPOINT;
    else process.env.JAEGER_ENDPOINT = saved;
  }
  expect(own.received).toHaveLength(1);
  expect(fromEnv.received).toHaveLength(1);
});

test('{ type: "edge" } is built by the factory the preload supplies', () => {
  const edge: SpanExporter = { name: 'edge', export() {}, flush: async () => {}, shutdown: async () => {}, dropped: 0 };
  const exporters = createSpanExporters([{ type: 'console' }, { type: 'edge' }], { edge: () => edge });
  expect(exporters[1]).toBe(edge);
});

const bad: Array<[string, unknown, string]> = [
  ['not an array', { type: 'console' }, 'bun-apm: tracing exporters must be an array'],
  ['not an object', ['console'], 'bun-apm: exporters[0]: must be an object'],
  ['unknown type', [{ type: 'console' }, { type: 'datadog' }], 'bun-apm: exporters[1] (datadog): unknown type "datadog" (expected one of console, jaeger, zipkin, otlp, custom, edge)'],
  ['jaeger without endpoint or env', [{ type: 'jaeger' }], 'bun-apm: exporters[0] (jaeger): has no endpoint: set "endpoint" or JAEGER_ENDPOINT'],
  ['zipkin with an empty endpoint', [{ type: 'zipkin', endpoint: '' }], 'bun-apm: exporters[0] (zipkin): has no endpoint: set "endpoint" or ZIPKIN_ENDPOINT'],
  ['otlp without endpoint', [{ type: 'otlp' }], 'bun-apm: exporters[0] (otlp): has no endpoint: set "endpoint"'],
  ['an endpoint that is no URL', [{ type: 'jaeger', endpoint: 'jaeger:14268 ' }], 'bun-apm: exporters[0] (jaeger): endpoint must start with http:// or https://, e.g. http://host:port'],
  ['a relative endpoint', [{ type: 'zipkin', endpoint: '/api/v2/spans' }], 'bun-apm: exporters[0] (zipkin): endpoint must start with http:// or https://, e.g. http://host:port'],
  ['a non-http endpoint', [{ type: 'otlp', endpoint: 'grpc://collector:4317' }], 'bun-apm: exporters[0] (otlp): endpoint must be an http:// or https:// URL, got grpc://'],
  ['custom without customExporter', [{ type: 'custom' }], 'bun-apm: exporters[0] (custom): needs customExporter'],
  ['edge without the preload', [{ type: 'edge' }], 'bun-apm: exporters[0] (edge): the edge exporter is only available where the bun-apm preload provides it'],
  ['a header from an unset variable', [{ type: 'jaeger', endpoint: 'http://jaeger:14268', headers: { Authorization: undefined } }], 'bun-apm: exporters[0] (jaeger): headers["Authorization"] must be a string'],
  ['a bad queue size', [{ type: 'console', maxQueueSize: 0 }], 'bun-apm: exporters[0] (console): maxQueueSize must be an integer from 1 to 100000, got 0'],
  ['a negative queue size', [{ type: 'console', maxQueueSize: -1 }], 'bun-apm: exporters[0] (console): maxQueueSize must be an integer from 1 to 100000, got -1'],
  ['a queue size that is no number', [{ type: 'console', maxQueueSize: 'abc' }], 'bun-apm: exporters[0] (console): maxQueueSize must be an integer from 1 to 100000'],
  // Taken before: with the collector down, the queue grew with every request.
  ['a queue size past the bound', [{ type: 'otlp', endpoint: 'http://c:4318', maxQueueSize: 1e9 }], 'bun-apm: exporters[0] (otlp): maxQueueSize must be an integer from 1 to 100000, got 1000000000'],
  ['a queue size just past the bound', [{ type: 'console', maxQueueSize: 100_001 }], 'bun-apm: exporters[0] (console): maxQueueSize must be an integer from 1 to 100000, got 100001'],
  // Misspelt names had been ignored without a word, and the defaults used.
  ['a misspelt delay', [{ type: 'otlp', endpoint: 'http://c:4318', scheduleDelayMs: 100 }], 'bun-apm: exporters[0] (otlp): scheduleDelayMs is not an option of otlp exporters (did you mean scheduledDelayMs?); it takes type, endpoint, headers, retry, maxQueueSize, maxExportBatchSize, scheduledDelayMs'],
  ['a misspelt endpoint', [{ type: 'zipkin', endpont: 'http://z:9411' }], 'bun-apm: exporters[0] (zipkin): endpont is not an option of zipkin exporters (did you mean endpoint?)'],
  ['a misspelt custom timeout', [{ type: 'custom', customExporter: () => {}, exportTimeout: 5 }], 'bun-apm: exporters[0] (custom): exportTimeout is not an option of custom exporters (did you mean exportTimeoutMs?)'],
  ['a misspelt retry option', [{ type: 'jaeger', endpoint: 'http://j:14268', retry: { maxAttempt: 3 } }], 'bun-apm: exporters[0] (jaeger): retry.maxAttempt is not a retry option (did you mean maxAttempts?); retry takes maxAttempts, initialBackoffMs, maxBackoffMs, timeoutMs'],
  ['another type\'s option', [{ type: 'console', headers: { a: 'b' } }], 'bun-apm: exporters[0] (console): headers is not an option of console exporters (jaeger, zipkin, otlp exporters read it); it takes type, maxQueueSize, maxExportBatchSize, scheduledDelayMs'],
  ['an option on the edge entry', [{ type: 'edge', maxQueueSize: 10 }], 'bun-apm: exporters[0] (edge): maxQueueSize is not an option of edge exporters (console, jaeger, zipkin, otlp, custom exporters read it); it takes only type'],
  ['a bad retry', [{ type: 'otlp', endpoint: 'http://c:4318', retry: { maxAttempts: 1.5 } }], 'bun-apm: exporters[0] (otlp): retry.maxAttempts must be an integer ≥ 1'],
  // Past 2^31-1 ms a timer fires after 1 ms: these had been taken and behaved as 1 ms.
  ['a delay past what a timer waits', [{ type: 'console', scheduledDelayMs: 3e9 }], 'bun-apm: exporters[0] (console): scheduledDelayMs must be a number from 0 to 600000 (ms), got 3000000000'],
  ['a delay just past the bound', [{ type: 'console', scheduledDelayMs: 600_001 }], 'bun-apm: exporters[0] (console): scheduledDelayMs must be a number from 0 to 600000 (ms), got 600001'],
  ['a backoff cap past what a timer waits', [{ type: 'otlp', endpoint: 'http://c:4318', retry: { maxBackoffMs: 3e9 } }], 'bun-apm: exporters[0] (otlp): retry.maxBackoffMs must be a number from 0 to 600000 (ms)'],
  ['a first backoff too long', [{ type: 'zipkin', endpoint: 'http://z:9411', retry: { initialBackoffMs: 1e10 } }], 'bun-apm: exporters[0] (zipkin): retry.initialBackoffMs must be a number from 0 to 600000 (ms)'],
  ['an attempt timeout too long', [{ type: 'jaeger', endpoint: 'http://j:14268', retry: { timeoutMs: 2 ** 31 } }], 'bun-apm: exporters[0] (jaeger): retry.timeoutMs must be a number from 1 to 600000 (ms)'],
  ['a custom timeout too long', [{ type: 'custom', customExporter: () => {}, exportTimeoutMs: 2 ** 31 }], 'bun-apm: exporters[0] (custom): exportTimeoutMs must be a number from 1 to 600000 (ms)'],
];

test('a queue size at the bound is taken', () => {
  expect(createSpanExporters([{ type: 'console', maxQueueSize: 100_000 }])).toHaveLength(1);
});

test('timing options at the bound are taken', () => {
  const configs = [{ type: 'otlp', endpoint: 'http://c:4318', scheduledDelayMs: 600_000, retry: { initialBackoffMs: 600_000, maxBackoffMs: 600_000, timeoutMs: 600_000 } }, { type: 'custom', customExporter: () => {}, exportTimeoutMs: 600_000 }];
  expect(createSpanExporters(configs as ExporterConfig[], { env: {} })).toHaveLength(2);
});
for (const [name, configs, message] of bad) {
  test(`throws at creation: ${name}`, () => {
    expect(() => createSpanExporters(configs as ExporterConfig[], { env: {} })).toThrow(message);
  });
}

test('error messages never echo header values or URL credentials', () => {
  const attempts: unknown[] = [
    [{ type: 'jaeger', endpoint: 'http://jaeger:14268', headers: { Authorization: 'Bearer s3\ncret' } }],
    [{ type: 'jaeger', endpoint: 's3cret@not a url' }],
    [{ type: 'zipkin', endpoint: 'ftp://user:s3cret@zipkin:9411' }],
  ];
  for (const configs of attempts) {
    let message = '';
    try {
      createSpanExporters(configs as ExporterConfig[], { env: {} });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toStartWith('bun-apm: exporters[0]');
    expect(message).not.toMatch(/s3\n?cret/);
  }
});

test('a bad entry anywhere means nothing is built', () => {
  let edgeBuilt = 0;
  const edge = () => (edgeBuilt++, createSpanExporters([{ type: 'console' }])[0]!);
  expect(() => createSpanExporters([{ type: 'edge' }, { type: 'jaeger' }], { edge, env: {} })).toThrow('exporters[1]');
  expect(edgeBuilt).toBe(0);
});

test('combineSpanExporters fans out, flushes all and sums what they dropped', async () => {
  const a = collector();
  const b = collector();
  const exporters = createSpanExporters([{ type: 'zipkin', endpoint: a.url }, { type: 'otlp', endpoint: b.url }, { type: 'custom', customExporter: () => {
    throw new Error('always');
  } }], { env: {}, log: () => {} });
  const combined = combineSpanExporters(exporters);
  expect(combined.name).toBe('zipkin+otlp+custom');
  combined.export(makeSpans(4));
  await combined.flush();
  expect(a.received).toHaveLength(1);
  expect(b.received).toHaveLength(1);
  expect(combined.dropped).toBe(4);
  await combined.shutdown();
  combined.export(makeSpans(1));
  expect(combined.dropped).toBe(7);
});
