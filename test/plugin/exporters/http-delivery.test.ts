// Jaeger, Zipkin and OTLP exporters against a real HTTP server on 127.0.0.1: the OpenTelemetry
// retry rules, refusals, bounded memory while the backend is down, and flush().
import { afterEach, describe, expect, test } from 'bun:test';
import { closedPortUrl, startCollector, type Collector } from './support/collector.ts';
import { HTTP_EXPORTER_KINDS } from './support/exporter-kinds.ts';
import { makeSpans } from './support/spans.ts';

const FAST_RETRY = { initialBackoffMs: 1, maxBackoffMs: 5, timeoutMs: 2000 };
const SECRET = 'Bearer s3cret-token-value';

let collector: Collector | undefined;
afterEach(async () => {
  await collector?.stop();
  collector = undefined;
});

for (const kind of HTTP_EXPORTER_KINDS) {
  describe(`${kind.type} exporter over HTTP`, () => {
    test('POSTs to the backend path with its content type and the configured headers', async () => {
      collector = startCollector();
      const exporter = kind.create({ endpoint: collector.url, serviceName: 'checkout', headers: { Authorization: SECRET } });
      const spans = makeSpans(3);
      exporter.export(spans);
      await exporter.flush();
      expect(collector.received).toHaveLength(1);
      const request = collector.received[0]!;
      expect(request.method).toBe('POST');
      expect(request.path).toBe(kind.path);
      expect(request.headers.get('content-type')).toBe(kind.contentType);
      expect(request.headers.get('authorization')).toBe(SECRET);
      expect(kind.spanIds(request.body)).toEqual(spans.map((span) => span.spanId));
      await exporter.shutdown();
    });

    test('an endpoint already ending in the backend path is used as it is', async () => {
      collector = startCollector();
      const exporter = kind.create({ endpoint: `${collector.url}${kind.path}`, serviceName: 'checkout' });
      exporter.export(makeSpans(1));
      await exporter.flush();
      expect(collector.received.map((request) => request.path)).toEqual([kind.path]);
    });

    test('503 twice then 202: retried, and delivered exactly once', async () => {
      collector = startCollector();
      collector.script.push(503, 503);
      const exporter = kind.create({ endpoint: collector.url, serviceName: 'checkout', retry: FAST_RETRY });
      const spans = makeSpans(10);
      exporter.export(spans);
      await exporter.flush();
      expect(collector.received).toHaveLength(3);
      // The same batch each time: a retry, not a second delivery of other data.
      for (const request of collector.received) expect(kind.spanIds(request.body)).toEqual(spans.map((span) => span.spanId));
      expect(exporter.delivered).toBe(10);
      expect(exporter.dropped).toBe(0);
    });

    test('a 408 is not retried (OTLP/HTTP: only 429, 502, 503 and 504 are; a review counted 5 tries)', async () => {
      collector = startCollector();
      collector.script.push(408);
      const exporter = kind.create({ endpoint: collector.url, serviceName: 'checkout', retry: FAST_RETRY, log: () => {} });
      exporter.export(makeSpans(4));
      await exporter.flush();
      expect(collector.received).toHaveLength(1);
      expect([exporter.delivered, exporter.dropped]).toEqual([0, 4]);
    });

    test('a 400 is not retried: the batch is dropped, counted, logged without header values', async () => {
      collector = startCollector();
      collector.script.push(400);
      const logs: string[] = [];
      const exporter = kind.create({ endpoint: collector.url, serviceName: 'checkout', headers: { Authorization: SECRET }, retry: FAST_RETRY, log: (m) => logs.push(m) });
      exporter.export(makeSpans(10));
      await exporter.flush();
      expect(collector.received).toHaveLength(1);
      expect(exporter.dropped).toBe(10);
      expect(exporter.delivered).toBe(0);
      // The next batch carries only the new span: the refused one was not sent again.
      const [next] = makeSpans(1);
      exporter.export([next!]);
      await exporter.flush();
      expect(collector.received).toHaveLength(2);
      expect(kind.spanIds(collector.received[1]!.body)).toEqual([next!.spanId]);
      expect(logs).toHaveLength(1);
      expect(logs[0]).toContain('HTTP 400');
      expect(logs.join('\n')).not.toContain('s3cret');
    });

    test('backend down: the queue stays at its cap, the rest is dropped and counted', async () => {
      const logs: string[] = [];
      const exporter = kind.create({
        endpoint: await closedPortUrl(),
        serviceName: 'checkout',
        maxQueueSize: 500,
        maxExportBatchSize: 100,
        retry: { ...FAST_RETRY, maxAttempts: 2 },
        log: (m) => logs.push(m),
      });
      let largestQueue = 0;
      for (let chunk = 0; chunk < 50; chunk++) {
        exporter.export(makeSpans(1000));
        largestQueue = Math.max(largestQueue, exporter.queued);
      }
      expect(largestQueue).toBeLessThanOrEqual(500);
      await exporter.shutdown();
      // Nothing reached a backend, and every span is accounted for.
      expect(exporter.delivered).toBe(0);
      expect(exporter.dropped).toBe(50_000);
      expect(exporter.queued).toBe(0);
      // Not one line per span or batch: the first loss at once, the rest (within the minute) at shutdown, every span in them.
      expect(logs).toHaveLength(2);
      expect(logs[0]).toMatch(/^exporter \w+: \d+ span\(s\) dropped: pushed out of the full queue \(maxQueueSize 500\)$/);
      const first = Number(/(\d+) span/.exec(logs[0]!)![1]);
      expect(logs[1]).toStartWith(`exporter ${exporter.name}: ${50_000 - first} more span(s) dropped (50000 in all): `);
      expect(logs[1]).toContain(' not delivered (TypeError: ');
    });

    test('delivery warnings show no credentials from the endpoint URL', async () => {
      const logs: string[] = [];
      const closed = new URL(await closedPortUrl());
      const endpoint = `http://user:s3cret@${closed.host}/?api_key=s3cret`;
      const exporter = kind.create({ endpoint, serviceName: 'checkout', retry: { ...FAST_RETRY, maxAttempts: 1 }, log: (m) => logs.push(m) });
      exporter.export(makeSpans(1));
      await exporter.flush();
      expect(exporter.dropped).toBe(1);
      expect(logs).toHaveLength(1);
      expect(logs[0]).toContain(`http://${closed.host}${kind.path}`);
      expect(logs[0]).not.toContain('s3cret');
    });

    test('flush() delivers everything queued, in batches, each span once and in order', async () => {
      collector = startCollector();
      const exporter = kind.create({ endpoint: collector.url, serviceName: 'checkout', maxExportBatchSize: 100, scheduledDelayMs: 60_000 });
      const spans = makeSpans(1234);
      for (const span of spans) exporter.export([span]);
      await exporter.flush();
      expect(exporter.queued).toBe(0);
      expect(collector.received).toHaveLength(13);
      expect(collector.received.flatMap((request) => kind.spanIds(request.body))).toEqual(spans.map((span) => span.spanId));
      expect(exporter.delivered).toBe(1234);
      await exporter.shutdown();
    });

    test('a partial batch goes by itself once the scheduled delay passes', async () => {
      collector = startCollector();
      const exporter = kind.create({ endpoint: collector.url, serviceName: 'checkout', scheduledDelayMs: 20 });
      exporter.export(makeSpans(2));
      expect(collector.received).toHaveLength(0);
      await collector.waitFor(1);
      expect(kind.spanIds(collector.received[0]!.body)).toHaveLength(2);
      await exporter.shutdown();
    });
  });
}
