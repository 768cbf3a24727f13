// The in-process dashboard's trace list: a trace lasts as long as its spans say, to the digit (its
// duration was the difference of two epoch times, off by up to ~0.2 µs: 33.9 µs for a 34.0 µs span).
import { expect, test } from 'bun:test';
import type { Span } from '../../src/core/wire-format.ts';
import { inProcessSource } from '../../src/middleware/dashboard/in-process-source.ts';

test("a trace's duration is its spans' own, however its start falls in epoch ms", async () => {
  const T0 = 1_795_694_400_000;
  const spans: Span[] = [];
  const expected = new Map<string, number>();
  for (let i = 0; i < 100; i++) {
    const traceId = (i + 1).toString(16).padStart(32, '0');
    const startTime = T0 + i * 7.013 + 0.000123 * i;
    const duration = 0.034 + i * 0.0001;
    spans.push({ traceId, spanId: '1'.padStart(16, '0'), name: 'GET /x', kind: 'server', startTime, duration, status: 'unset', tags: {}, logs: [] });
    spans.push({ traceId, spanId: '2'.padStart(16, '0'), parentSpanId: '1'.padStart(16, '0'), name: 'db', kind: 'internal', startTime: startTime + 0.001, duration: 0.002, status: 'unset', tags: {}, logs: [] });
    expected.set(traceId, duration);
  }
  const source = inProcessSource({ app: 'shop', cells: () => [], profiles: () => [], spans: () => spans, alerts: () => [], resolveAlert: () => false, now: () => T0 + 60_000 });
  const rows = await source.traces('shop', { from: T0 - 60_000, to: T0 + 60_000 }, { limit: 500 });
  expect(rows.length).toBe(100);
  const off = rows.filter((row) => row.duration !== expected.get(row.traceId)).map((row) => `${row.traceId}: ${row.duration} vs ${expected.get(row.traceId)}`);
  expect(off).toEqual([]);
});
