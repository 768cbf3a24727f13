// A valid wire-format batch for tests to start from and break.
import { RollupTable } from '../../src/core/rollup.ts';
import { newSpanId, newTraceId } from '../../src/core/trace-context.ts';
import type { Batch } from '../../src/core/wire-format.ts';

let counter = 0;

/**
 * A time whose minute's batch lies wholly in the past: 10 s ago. makeBatch's records lie from 1 s
 * to 10 s into their minute, and a read's window ends at the clock by default, so in a minute's
 * first seconds a batch of the current minute would have records past it.
 */
export const batchTime = (): number => Date.now() - 10_000;

/** A batch of `now`'s minute: its records lie from 1 s to 10 s into that minute. */
export function makeBatch(now = batchTime(), overrides: Partial<Batch> = {}): Batch {
  const minute = now - (now % 60_000);
  const table = new RollupTable();
  table.record(minute + 1_000, 'GET', '/users/:id', 200, 12.5, 512);
  table.record(minute + 2_000, 'GET', '/users/:id', 200, 30, 512);
  table.record(minute + 3_000, 'POST', '/orders', 503, 120, 0);
  const traceId = newTraceId();
  const serverSpan = newSpanId();
  return {
    version: 1,
    batchId: `test-batch-${String(++counter).padStart(6, '0')}-${now}`,
    identity: { app: 'shop', service: 'api', instance: 'host-1:1234', runtime: 'bun', runtimeVersion: '1.4.5', sdkVersion: '0.1.0' },
    window: { start: minute, end: minute + 10_000 },
    rollups: table.drain(),
    samples: [
      {
        timestamp: minute + 1_000, method: 'GET', path: '/users/42', route: '/users/:id', statusCode: 200, duration: 12.5,
        userAgent: 'curl/8.5.0', memoryUsage: { rss: 50_000_000, heapUsed: 10_000_000, heapTotal: 20_000_000 }, cpuUsage: 3.5,
        traceId, spanId: serverSpan, responseSize: 512,
      },
    ],
    spans: [
      {
        traceId, spanId: serverSpan, name: 'GET /users/:id', kind: 'server', startTime: minute + 1_000, duration: 12.5,
        status: 'ok', tags: { 'http.status_code': 200, 'http.route': '/users/:id' }, logs: [],
      },
      {
        traceId, spanId: newSpanId(), parentSpanId: serverSpan, name: 'database-query', kind: 'internal', startTime: minute + 1_002,
        duration: 8, status: 'ok', tags: { 'db.table': 'users' }, logs: [{ timestamp: minute + 1_005, level: 'info', message: 'User found' }],
      },
    ],
    profiles: [{ timestamp: minute + 5_000, rss: 50_000_000, heapUsed: 10_000_000, heapTotal: 20_000_000, cpuPercent: 12, eventLoopLagMs: 1.2, inFlight: 3 }],
    dropped: { rollups: 0, samples: 0, spans: 0, profiles: 0 },
    ...overrides,
  };
}
