// PerformanceMonitor in-process: exact counts against values computed here, sampling, the core
// sketch's percentiles, one count with the preload's recorder, storages and thresholds.
import { afterEach, describe, expect, test } from 'bun:test';
import { heapStats } from 'bun:jsc';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLog } from '../../src/plugin/runtime/log.ts';
import { setProcessRecorder } from '../../src/plugin/runtime/process-recorder.ts';
import { Recorder } from '../../src/plugin/runtime/recorder.ts';
import { LIMITS } from '../../src/core/wire-format.ts';
import { TieredCells } from '../../src/middleware/monitor/tiered-cells.ts';
import { PerformanceMonitor, performanceMonitor, readMetricsFile, type PerformanceMetrics } from '../../src/middleware/index.ts';
import { waitFor } from '../plugin/support/wait-for.ts';
import { Router } from './spec-examples/mini-router.ts';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  setProcessRecorder(undefined);
});

/** A deterministic random: the test knows each decision. */
function sequence(values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length]!;
}

function appWith(monitor: ReturnType<typeof performanceMonitor>): Router {
  const router = new Router().use(monitor);
  router.get('/users/:id', (req) => Response.json({ id: req.params.id }));
  router.get('/fail', () => new Response('no', { status: 503 }));
  router.get('/throw', () => {
    throw new TypeError('boom');
  });
  router.post('/orders', () => new Response('created', { status: 201 }));
  return router;
}

describe('PerformanceMonitor counts', () => {
  test('every request is counted exactly; detail records follow sampleRate', async () => {
    // 0.05 < 0.1 samples, 0.5 does not: every 4th request in this sequence is sampled.
    const monitor = performanceMonitor({ sampleRate: 0.1, random: sequence([0.05, 0.5, 0.5, 0.5]), profiling: { enabled: false } });
    closers.push(monitor.close);
    const app = appWith(monitor);
    const plan: Array<[string, string, number, string]> = [];
    for (let i = 0; i < 120; i++) {
      const kind = i % 6;
      if (kind === 0) plan.push(['POST', '/orders', 201, 'curl/8.5.0']);
      else if (kind === 1) plan.push(['GET', '/fail', 503, 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36']);
      else if (kind === 2) plan.push(['GET', '/throw', 500, 'Googlebot/2.1']);
      else if (kind === 3) plan.push(['GET', '/missing', 404, '']);
      else plan.push(['GET', `/users/${i}`, 200, 'Bun/1.2']);
    }
    for (const [method, path, status, ua] of plan) {
      const req = new Request(`http://app.test${path}`, { method, headers: ua ? { 'user-agent': ua } : {} });
      const res = await app.fetch(req).catch(() => new Response(null, { status: 500 }));
      expect(res.status).toBe(status);
    }
    const agg = monitor.getAggregatedMetrics(3_600_000);
    const count = (f: (p: (typeof plan)[number]) => boolean) => plan.filter(f).length;
    expect(agg.count).toBe(plan.length);
    expect(agg.errors).toBe(count(([, , s]) => s >= 500));
    expect(agg.errorRate).toBe(count(([, , s]) => s >= 500) / plan.length);
    // The window starts at the second that holds now − 1 h; the rate divides by what it covers.
    expect(agg.to - agg.from).toBeGreaterThanOrEqual(3_600_000);
    expect(agg.to - agg.from).toBeLessThan(3_601_000);
    expect(agg.rps).toBeCloseTo(plan.length / ((agg.to - agg.from) / 1000), 10);
    for (const status of [200, 201, 404, 500, 503]) expect(agg.statusCodes[String(status)]).toBe(count(([, , s]) => s === status));
    expect(agg.methods).toEqual({ GET: count(([m]) => m === 'GET'), POST: count(([m]) => m === 'POST') });
    expect(agg.paths['/users/:id']).toBe(count(([, p]) => p.startsWith('/users/')));
    expect(agg.paths['/orders']).toBe(count(([, p]) => p === '/orders'));
    expect(agg.userAgents.kinds).toEqual({ cli: count(([, , , u]) => u.startsWith('curl')), browser: count(([, , , u]) => u.startsWith('Mozilla')), bot: count(([, , , u]) => u.startsWith('Google')), unknown: count(([, , , u]) => u === ''), 'http-client': count(([, , , u]) => u.startsWith('Bun')) });
    expect(agg.userAgents.families.curl).toBe(count(([, , , u]) => u.startsWith('curl')));
    // Detail records: exactly those whose decision was 0.05.
    const metrics = monitor.getMetrics();
    expect(metrics.length).toBe(plan.length / 4);
    expect(metrics.map((m) => m.path)).toEqual(plan.filter((_, i) => i % 4 === 0).map(([, p]) => p));
    const thrown = metrics.find((m) => m.path === '/throw');
    expect(thrown?.error).toBe('TypeError');
    expect(thrown?.statusCode).toBe(500);
    expect(metrics[0]!.memoryUsage.rss).toBeGreaterThan(0);
    const cells = monitor.getRollupCells();
    expect(cells.reduce((n, c) => n + c.count, 0)).toBe(plan.length);
  });

  test('avg/min/max are exact and percentiles within the sketch bound of the recorded durations', async () => {
    const monitor = performanceMonitor({ sampleRate: 1, profiling: { enabled: false } });
    closers.push(monitor.close);
    const router = new Router().use(monitor);
    router.get('/work/:ms', async (req) => {
      await Bun.sleep(Number(req.params.ms));
      return new Response('ok');
    });
    for (let i = 0; i < 40; i++) await router.fetch(new Request(`http://app.test/work/${i % 8}`));
    const durations = monitor.getMetrics().map((m) => m.responseTime).sort((a, b) => a - b);
    expect(durations.length).toBe(40);
    const agg = monitor.getAggregatedMetrics(60_000);
    expect(agg.responseTime.avg).toBeCloseTo(durations.reduce((a, b) => a + b, 0) / 40, 9);
    expect(agg.responseTime.min).toBe(durations[0]!);
    expect(agg.responseTime.max).toBe(durations[39]!);
    for (const [q, value] of [[0.5, agg.responseTime.p50], [0.95, agg.responseTime.p95], [0.99, agg.responseTime.p99]] as const) {
      const exact = durations[Math.floor(q * 39)]!;
      expect(Math.abs(value - exact)).toBeLessThanOrEqual(exact * 0.01 + 1e-9);
    }
  });

  test('with the preload recorder in the process and two monitors in the chain, a request is counted once everywhere', async () => {
    const preload = new Recorder({ sampleRate: 0, traceSampleRate: 0, log: createLog(false) });
    setProcessRecorder(preload);
    const outer = performanceMonitor({ profiling: { enabled: false } });
    const inner = new PerformanceMonitor({ profiling: { enabled: false } });
    closers.push(outer.close, () => inner.close());
    const router = new Router().use(outer).use((req, next) => inner.handle(req, next));
    router.get('/x/:id', () => new Response('x'));
    const outside = performanceMonitor({ profiling: { enabled: false } }); // never in the chain: counts nothing
    closers.push(outside.close);
    const n = 37;
    for (let i = 0; i < n; i++) {
      const req = new Request(`http://app.test/x/${i}`);
      const state = preload.begin(req)!; // what the preload's Bun.serve wrapper does
      preload.respond(state, await router.fetch(req));
    }
    expect(preload.drain().rollups.reduce((s, c) => s + c.count, 0)).toBe(n);
    expect(outer.getAggregatedMetrics(60_000).count).toBe(n);
    expect(inner.getAggregatedMetrics(60_000).count).toBe(n);
    expect(outside.getAggregatedMetrics(60_000).count).toBe(0);
  });

  test('clearMetrics empties records, cells and profiles; enabled:false only calls next', async () => {
    const monitor = performanceMonitor({ profiling: { enabled: true, interval: 100 } });
    closers.push(monitor.close);
    const app = appWith(monitor);
    await app.fetch(new Request('http://app.test/users/1'));
    expect(await waitFor(() => monitor.getProfiles().length >= 2, 3000)).toBe(true);
    const profile = monitor.getProfiles()[0]!;
    expect(profile.rss).toBeGreaterThan(0);
    monitor.clearMetrics();
    expect(monitor.getMetrics()).toEqual([]);
    expect(monitor.getRollupCells()).toEqual([]);
    expect(monitor.getAggregatedMetrics(60_000).count).toBe(0);
    const off = performanceMonitor({ enabled: false });
    closers.push(off.close);
    const res = await appWith(off).fetch(new Request('http://app.test/users/2'));
    expect(res.status).toBe(200);
    expect(off.getAggregatedMetrics(60_000).count).toBe(0);
  });

  test('cells stay bounded: a cap on cells (oldest windows dropped) and on age', () => {
    const ua = { kind: 'cli', family: 'curl' } as const;
    const start = Date.UTC(2026, 0, 1);
    const capped = new TieredCells(24 * 3_600_000, 3);
    for (let m = 0; m < 5; m++) capped.record(start + m * 60_000, 'GET', '/r', 200, 1, 0, false, ua);
    expect(capped.cells().map((c) => (c.minute - start) / 60_000)).toEqual([2, 3, 4]);
    const aged = new TieredCells(24 * 3_600_000, 1000);
    aged.record(start, 'GET', '/old', 200, 1, 0, false, ua);
    aged.record(start + 23 * 3_600_000, 'GET', '/mid', 200, 1, 0, false, ua);
    aged.record(start + 25 * 3_600_000, 'GET', '/new', 200, 1, 0, false, ua);
    expect(aged.cells().map((c) => c.route)).toEqual(['/mid', '/new']);
  });

  test('bad options throw at creation', () => {
    expect(() => performanceMonitor({ sampleRate: 2 })).toThrow(/sampleRate/);
    expect(() => performanceMonitor({ storage: { type: 'custom' } })).toThrow(/customHandler/);
    expect(() => performanceMonitor({ storage: { type: 'nope' as 'memory' } })).toThrow(/storage.type/);
    expect(() => performanceMonitor({ alerting: { enabled: true, thresholds: { responseTime: -1 } } })).toThrow(/responseTime/);
  });

  test('thresholds become PerformanceAlerting rules that fire', async () => {
    const monitor = performanceMonitor({ profiling: { enabled: false }, alerting: { enabled: true, thresholds: { responseTime: 1, errorRate: 0.05, memoryUsage: 512 * 1024 * 1024 }, channels: [] } });
    closers.push(monitor.close);
    const router = new Router().use(monitor);
    router.get('/slow', async () => {
      await Bun.sleep(5);
      return new Response('slow');
    });
    for (let i = 0; i < 3; i++) await router.fetch(new Request('http://app.test/slow'));
    await monitor.flush();
    expect(monitor.getActiveAlerts().map((a) => a.ruleId)).toContain('monitor-responseTime');
  });
});

describe('PerformanceMonitor storage', () => {
  test('custom storage gets batches', async () => {
    const batches: PerformanceMetrics[][] = [];
    const monitor = performanceMonitor({ profiling: { enabled: false }, storage: { type: 'custom', batchSize: 10, customHandler: async (m) => void batches.push(m) } });
    closers.push(monitor.close);
    const app = appWith(monitor);
    for (let i = 0; i < 25; i++) await app.fetch(new Request(`http://app.test/users/${i}`));
    await monitor.flush();
    expect(batches.map((b) => b.length)).toEqual([10, 10, 5]);
    expect(batches.flat().map((m) => m.path)).toEqual(Array.from({ length: 25 }, (_, i) => `/users/${i}`));
  });

  test('a detail record keeps the path cut to the wire format\'s pathLength, in memory and in storage', async () => {
    const batches: PerformanceMetrics[][] = [];
    const monitor = performanceMonitor({ profiling: { enabled: false }, storage: { type: 'custom', batchSize: 1, customHandler: (m) => void batches.push(m) } });
    closers.push(monitor.close);
    const path = `/users/${'a'.repeat(8_000)}`;
    await appWith(monitor).fetch(new Request(`http://app.test${path}`));
    await monitor.flush();
    expect(monitor.getMetrics().map((m) => m.path)).toEqual([path.slice(0, LIMITS.pathLength)]);
    expect(batches.flat().map((m) => m.path)).toEqual([path.slice(0, LIMITS.pathLength)]);
  });

  test('1,000 records of 16 KB paths hold ~2 KB each (a slice kept its whole path alive: +16 MB)', async () => {
    const monitor = performanceMonitor({ profiling: { enabled: false } });
    closers.push(monitor.close);
    const app = appWith(monitor);
    const heap = () => {
      Bun.gc(true);
      return heapStats().heapSize;
    };
    const before = heap();
    for (let i = 0; i < 1000; i++) await app.fetch(new Request(`http://app.test/users/${i}${'a'.repeat(16_000)}`));
    expect(monitor.getMetrics().length).toBe(1000);
    expect(heap() - before).toBeLessThan(6_000_000);
  });

  test('custom storage failures are logged once, never thrown', async () => {
    const lines: string[] = [];
    let calls = 0;
    const monitor = performanceMonitor({
      profiling: { enabled: false }, log: (line) => lines.push(line),
      storage: { type: 'custom', batchSize: 2, customHandler: async () => { calls++; throw new Error('metrics-api down'); } },
    });
    closers.push(monitor.close);
    const app = appWith(monitor);
    for (let i = 0; i < 6; i++) expect((await app.fetch(new Request(`http://app.test/users/${i}`))).status).toBe(200);
    await monitor.flush();
    expect(calls).toBe(3);
    expect(lines.length).toBe(1);
    expect(lines[0]).toContain('customHandler failed (Error: metrics-api down)');
    // A handler that throws synchronously is caught too.
    const sync = performanceMonitor({ profiling: { enabled: false }, log: (line) => lines.push(line), storage: { type: 'custom', batchSize: 1, customHandler: () => { throw new Error('sync'); } } });
    closers.push(sync.close);
    expect((await appWith(sync).fetch(new Request('http://app.test/users/1'))).status).toBe(200);
    await sync.flush();
    expect(lines.length).toBe(2);
  });

  test('a custom storage failure is said redacted, on one line: a driver\'s password, a record\'s token stay out of stderr', async () => {
    const lines: string[] = [];
    const monitor = performanceMonitor({
      profiling: { enabled: false }, log: (line) => lines.push(line),
      storage: { type: 'custom', batchSize: 1, customHandler: () => { throw new Error('insert failed: postgres://app:S3cretPW@db:5432/m password=hunter2\nbun-apm: forged line ?token=tok_live_123'); } },
    });
    closers.push(monitor.close);
    expect((await appWith(monitor).fetch(new Request('http://app.test/users/1'))).status).toBe(200);
    await monitor.flush();
    expect(lines.length).toBe(1);
    // Was the message as thrown: the password, hunter2 and the token, and a second, forged line.
    for (const secret of ['S3cretPW', 'hunter2', 'tok_live_123', '\n']) expect(lines[0]).not.toContain(secret);
    expect(lines[0]).toContain('customHandler failed (Error: insert failed: postgres://app:');
    // A thrown plain object is said as its JSON, redacted (it had read "[object Object]").
    const plain = performanceMonitor({
      profiling: { enabled: false }, log: (line) => lines.push(line),
      storage: { type: 'custom', batchSize: 1, customHandler: () => { throw { code: 'E_QUOTA', detail: 'quota exceeded for token=tok_live_456' }; } },
    });
    closers.push(plain.close);
    expect((await appWith(plain).fetch(new Request('http://app.test/users/2'))).status).toBe(200);
    await plain.flush();
    expect(lines[1]).toContain('customHandler failed ({"code":"E_QUOTA","detail":"quota exceeded for token=[REDACTED]"})');
  });

  test('file storage appends JSON lines and rotates at maxEntries', async () => {
    const filePath = join(mkdtempSync(join(tmpdir(), 'bun-apm-file-')), 'logs', 'metrics.jsonl');
    const monitor = performanceMonitor({ profiling: { enabled: false }, storage: { type: 'file', filePath, maxEntries: 10 } });
    closers.push(monitor.close);
    const app = appWith(monitor);
    for (let i = 0; i < 25; i++) await app.fetch(new Request(`http://app.test/users/${i}`));
    await monitor.flush();
    expect(readFileSync(filePath, 'utf8').trim().split('\n').length).toBe(5);
    expect(readFileSync(`${filePath}.1`, 'utf8').trim().split('\n').length).toBe(10);
    const { metrics, skipped } = readMetricsFile(filePath, true);
    expect(skipped).toBe(0);
    expect(metrics.map((m) => m.path)).toEqual(Array.from({ length: 15 }, (_, i) => `/users/${i + 10}`));
    expect(monitor.getMetrics().length).toBe(25); // getMetrics reads memory, not the file
  });

  test('a torn last line is skipped on read and the next write starts a fresh line', async () => {
    const filePath = join(mkdtempSync(join(tmpdir(), 'bun-apm-torn-')), 'metrics.jsonl');
    writeFileSync(filePath, `${JSON.stringify({ path: '/a' })}\n${JSON.stringify({ path: '/b' })}\n{"path":"/c","stat`);
    expect(readMetricsFile(filePath)).toEqual({ metrics: [{ path: '/a' }, { path: '/b' }] as never, skipped: 1 });
    const monitor = performanceMonitor({ profiling: { enabled: false }, storage: { type: 'file', filePath } });
    closers.push(monitor.close);
    await appWith(monitor).fetch(new Request('http://app.test/users/7'));
    await monitor.flush();
    const { metrics, skipped } = readMetricsFile(filePath);
    expect(skipped).toBe(1);
    expect(metrics.map((m) => m.path)).toEqual(['/a', '/b', '/users/7']);
  });
});
