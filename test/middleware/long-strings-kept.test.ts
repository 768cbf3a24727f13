// Records kept long hold no more than what they show: a path cut from a URL with a 15 KB query, a
// User-Agent cut to 512 characters, a tag cut to its length had kept the whole string alive (JSC
// slices share their source; a review: 280 MB for 12,000 alerting samples, 304 MB for 10,000
// monitor records, 61 MB for 1,000 recent spans). Heap after full collections, bounded counts.
import { afterEach, expect, test } from 'bun:test';
import { heapStats } from 'bun:jsc';
import { performanceAlerting, performanceMonitor, requestTracer } from '../../src/middleware/index.ts';
import { Router } from './spec-examples/mini-router.ts';

const closers: Array<() => unknown> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** The heap after full collections, the last parts' garbage (closed in afterEach) gone too. */
async function heap(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    Bun.gc(true);
    await Bun.sleep(10);
  }
  const stats = heapStats();
  return stats.heapSize + stats.extraMemorySize;
}
const LONG = 'q'.repeat(15_000);
// Not a multiple of 1,000: the monitor's User-Agent cache is emptied at 1,000 entries (a review: at 2,000 it hid its own 16 MB).
const N = 1_500;

async function grownBy(app: Router, request: (i: number) => Request): Promise<number> {
  await app.fetch(request(-1)); // warm: the parts' one-off allocations before the baseline
  const before = await heap();
  for (let i = 0; i < N; i++) await app.fetch(request(i));
  return (await heap()) - before;
}

test('alerting samples: a path from a served URL with a 15 KB query', async () => {
  const alerting = performanceAlerting({ rules: [{ id: 'slow', name: 'Slow', metric: 'p95', condition: 'gt', threshold: 1e6, severity: 'warning' }] });
  closers.push(() => alerting.close());
  // Served: the path is cut from the URL Bun makes for the request. 2,000 × 15 KB had been held.
  const server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: (req) => alerting.handle(req, async () => new Response('ok')) });
  closers.push(() => server.stop(true));
  const get = async (i: number) => (await fetch(`http://127.0.0.1:${server.port}/items/abcdefghijklmnopqrstuv/catalogue?i=${i}&q=${LONG}`)).text();
  for (let i = 0; i < 50; i++) await get(-1);
  const before = await heap();
  for (let i = 0; i < N; i++) await get(i);
  expect((await heap()) - before).toBeLessThan(8_000_000);
});

test('monitor records: a 15 KB User-Agent', async () => {
  const monitor = performanceMonitor({ sampleRate: 1, profiling: { enabled: false } });
  closers.push(() => monitor.close());
  const app = new Router().use(monitor);
  app.get('/items/:id', () => new Response('ok'));
  expect(await grownBy(app, (i) => new Request(`http://app.test/items/${i}`, { headers: { 'user-agent': `bot/${i} ${LONG}` } }))).toBeLessThan(8_000_000);
});

test('recent spans: a 15 KB query value as a tag', async () => {
  const tracer = requestTracer({ sampleRate: 1, maxRecentSpans: 1_000 });
  closers.push(() => tracer.close());
  const app = new Router().use(tracer);
  app.get('/items/:id', () => new Response('ok'));
  expect(await grownBy(app, (i) => new Request(`http://app.test/items/${i}?q=${i}${LONG}`))).toBeLessThan(8_000_000);
});
