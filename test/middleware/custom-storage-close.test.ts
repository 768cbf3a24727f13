// A custom storage whose handler never settles (a database or collector that hangs): close() still
// ends within its 2 s and says what it gave up, and the handler is never holding more than 10,000
// records, however long it hangs (a review: `await monitor.close()` had never returned, and each
// flush interval handed the hanging handler another batch).
import { expect, test } from 'bun:test';
import { PerformanceMonitor } from '../../src/middleware/index.ts';
import { CLOSE_WAIT_MS } from '../../src/middleware/monitor/custom-storage.ts';

function hanging(batchSize: number) {
  const lines: string[] = [];
  const given: number[] = [];
  const monitor = new PerformanceMonitor({
    sampleRate: 1,
    profiling: { enabled: false },
    log: (line) => void lines.push(line),
    storage: { type: 'custom', batchSize, flushInterval: 60_000, customHandler: (records) => (given.push(records.length), new Promise<void>(() => {})) },
  });
  return { monitor, lines, given };
}

async function serve(monitor: PerformanceMonitor, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await monitor.handle(new Request(`http://app.test/r/${i}`), async () => new Response('ok'));
}

test('close() with a handler that never settles ends within its wait and counts what it gave up', async () => {
  const { monitor, lines, given } = hanging(10);
  await serve(monitor, 25);
  const from = performance.now();
  await monitor.close();
  const took = performance.now() - from;
  expect(took).toBeGreaterThan(CLOSE_WAIT_MS - 100);
  expect(took).toBeLessThan(CLOSE_WAIT_MS + 1000);
  // Two full batches when they filled, the last five at close.
  expect(given).toEqual([10, 10, 5]);
  expect(lines.filter((line) => line.includes('customHandler'))).toEqual([`bun-apm: performanceMonitor.close(): 25 record(s) not handed on by storage.customHandler within ${CLOSE_WAIT_MS} ms; given up`]);
}, 10_000);

test('the handler holds 10,000 records at most; the queue holds 10,000 more, and the rest are dropped', async () => {
  const { monitor, lines, given } = hanging(1000);
  await serve(monitor, 25_000);
  expect(given.reduce((sum, n) => sum + n, 0)).toBe(10_000);
  await monitor.close();
  // 10,000 with the handler and 10,000 queued; 5,000 dropped when the queue was full.
  expect(lines.filter((line) => line.includes('customHandler'))).toEqual([`bun-apm: performanceMonitor.close(): 20000 record(s) not handed on by storage.customHandler within ${CLOSE_WAIT_MS} ms; given up`]);
}, 20_000);
