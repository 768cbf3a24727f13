// The spec's `custom` exporter: batches of TraceSpan to customExporter(spans); whatever it does
// wrong is logged and counted, never thrown into the app.
import { expect, test } from 'bun:test';
import { createCustomExporter, createSpanExporters, type TraceSpan } from '../../../src/plugin/runtime/exporters/index.ts';
import { makeSpans } from './support/spans.ts';

test('the spec example: customExporter receives the finished spans, batched', async () => {
  const received: TraceSpan[][] = [];
  const [exporter] = createSpanExporters([
    {
      type: 'custom',
      customExporter: async (spans) => {
        received.push(spans);
      },
    },
  ]);
  const spans = makeSpans(3);
  exporter!.export(spans);
  await exporter!.flush();
  expect(received).toEqual([spans]);
  expect(exporter!.name).toBe('custom');
});

test('a throwing, a rejecting and a never-settling customExporter: logged, counted, never thrown', async () => {
  const behaviours = [
    () => {
      throw new Error('sync failure');
    },
    () => Promise.reject(new RangeError('async failure')),
    () => new Promise<void>(() => {}),
    () => undefined,
  ];
  let call = 0;
  const logs: string[] = [];
  const exporter = createCustomExporter({ customExporter: () => behaviours[call++]!(), exportTimeoutMs: 50, log: (m) => logs.push(m) });
  for (let i = 0; i < 4; i++) {
    exporter.export(makeSpans(2));
    await exporter.flush();
  }
  expect(call).toBe(4);
  expect(exporter.dropped).toBe(6);
  expect(exporter.delivered).toBe(2);
  // The first failure at once; those within the minute after it in the next line (here, at shutdown).
  expect(logs).toEqual(['exporter custom: 2 span(s) dropped: not delivered (customExporter threw Error: sync failure)']);
  await exporter.shutdown();
  expect(logs[1]).toBe('exporter custom: 4 more span(s) dropped (6 in all): 2 not delivered (customExporter threw RangeError: async failure); 2 not delivered (customExporter did not settle within 50 ms)');
});

test("a customExporter's error is said redacted, on one line and cut: a driver's message may quote its connection URL, or forge a line (a review)", async () => {
  const logs: string[] = [];
  const words = `connect failed postgres://admin:DBPASS99@db/x token=QTOK\nbun-apm: FAKE all good ${'x'.repeat(5000)}`;
  const exporter = createCustomExporter({ customExporter: () => Promise.reject(new Error(words)), log: (m) => logs.push(m) });
  exporter.export(makeSpans(1));
  await exporter.flush();
  expect(logs).toHaveLength(1);
  expect(logs[0]).toStartWith('exporter custom: 1 span(s) dropped: not delivered (customExporter threw Error: connect failed postgres://admin:[REDACTED]@db/x token=[REDACTED] bun-apm: FAKE all good xxx');
  for (const secret of ['DBPASS99', 'QTOK', '\n']) expect(logs[0]).not.toContain(secret);
  expect(logs[0]!.length).toBeLessThan(400);
  await exporter.shutdown();
});

test('a customExporter that never settles is reported as such', async () => {
  const logs: string[] = [];
  const exporter = createCustomExporter({ customExporter: () => new Promise<void>(() => {}), exportTimeoutMs: 30, log: (m) => logs.push(m) });
  exporter.export(makeSpans(1));
  await exporter.flush();
  expect(logs).toEqual(['exporter custom: 1 span(s) dropped: not delivered (customExporter did not settle within 30 ms)']);
});
