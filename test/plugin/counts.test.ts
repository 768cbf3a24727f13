// Every request is counted exactly once, under its route template and status class, whatever the
// sample rate; about sampleRate of them keep a detail record. Real apps, real preload, real sink.
import { afterAll, describe, expect, test } from 'bun:test';
import { statusClassOf } from '../../src/core/wire-format.ts';
import { startApp, type AppProcess } from './support/app-process.ts';
import { IngestSink } from './support/ingest-sink.ts';
import { drive, type Probe } from './support/load.ts';

const TOTAL = 1200;

const APPS: Array<{ example: string; probes: Probe[]; exit: { code: number | null; signal: string | null } }> = [
  {
    example: 'routes-app.ts',
    exit: { code: 0, signal: null }, // it handles SIGTERM itself with process.exit(0)
    probes: [
      { method: 'GET', path: '/health', status: 200, key: 'GET /health' },
      { method: 'GET', path: '/users', status: 200, key: 'GET /users' },
      { method: 'POST', path: '/users', status: 201, key: 'POST /users', body: '{"name":"Linus"}' },
      { method: 'GET', path: '/users/1', status: 200, key: 'GET /users/:id' },
      // The handler throws; the app's error handler answers 404: counted as that 404, and as an error.
      { method: 'GET', path: '/users/999', status: 404, key: 'GET /users/:id', thrown: true },
      { method: 'GET', path: '/boom', status: 500, key: 'GET /boom' },
      { method: 'GET', path: '/orders/77', status: 200, key: 'GET /orders/:id' },
      { method: 'GET', path: '/nope', status: 404, key: 'GET /nope' },
    ],
  },
  {
    example: 'hono-app.ts',
    exit: { code: null, signal: 'SIGTERM' },
    probes: [
      { method: 'GET', path: '/', status: 200, key: 'GET /' },
      { method: 'GET', path: '/users/42', status: 200, key: 'GET /users/:id' },
      { method: 'GET', path: '/users/42/posts/7', status: 200, key: 'GET /users/:id/posts/:postId' },
      { method: 'GET', path: '/private', status: 401, key: 'GET /private' },
      { method: 'GET', path: '/boom', status: 500, key: 'GET /boom' },
      { method: 'GET', path: '/missing', status: 404, key: 'GET /missing' },
      { method: 'GET', path: '/api/items/abc', status: 200, key: 'GET /api/items/:itemId' },
    ],
  },
  {
    // Elysia passes its routes to Bun.serve itself; an error Elysia answers for is seen as its 500.
    example: 'elysia-app.ts',
    exit: { code: null, signal: 'SIGTERM' },
    probes: [
      { method: 'GET', path: '/', status: 200, key: 'GET /' },
      { method: 'GET', path: '/users/1', status: 200, key: 'GET /users/:id' },
      { method: 'GET', path: '/users/999', status: 404, key: 'GET /users/:id' },
      { method: 'POST', path: '/users', status: 201, key: 'POST /users', body: '{"name":"Ada"}' },
      { method: 'GET', path: '/boom', status: 500, key: 'GET /boom' },
      { method: 'GET', path: '/nope', status: 404, key: 'GET /nope' },
    ],
  },
  {
    example: 'bun-router-app.ts',
    exit: { code: null, signal: 'SIGTERM' },
    probes: [
      { method: 'GET', path: '/', status: 200, key: 'GET /' },
      { method: 'GET', path: '/users/42', status: 200, key: 'GET /users/:id' },
      { method: 'GET', path: '/users/42/orders/9', status: 200, key: 'GET /users/:id/orders/:orderId' },
      { method: 'POST', path: '/users', status: 201, key: 'POST /users', body: '{"name":"Ada"}' },
      // bun-router's own error handler answers 200 with the stack: counted as that 200, and as an error.
      { method: 'GET', path: '/boom', status: 200, key: 'GET /boom', thrown: true },
      { method: 'GET', path: '/nope/123', status: 404, key: 'GET /nope/:id' },
    ],
  },
];

const started: AppProcess[] = [];
const sinks: IngestSink[] = [];
afterAll(async () => {
  await Promise.all(started.map((app) => app.kill()));
  await Promise.all(sinks.map((sink) => sink.stop()));
});

describe.each(APPS)('$example', ({ example, probes, exit }) => {
  test(`${TOTAL} requests → exactly ${TOTAL} counted, under templates, at sampleRate 0.1`, async () => {
    const sink = new IngestSink().start();
    sinks.push(sink);
    const app = await startApp(example, {
      env: { BUN_APM_ENDPOINT: sink.url, BUN_APM_INGEST_KEY: sink.ingestKey, BUN_APM_FLUSH_INTERVAL_MS: '300', BUN_APM_SAMPLE_RATE: '0.1', BUN_APM_TRACE_SAMPLE_RATE: '0' },
    });
    started.push(app);
    const sent = await drive(app.url, probes, TOTAL);
    // The throw-then-serve case: after errors, the app still answers.
    expect((await fetch(`${app.url}${probes[0]!.path}`, { method: probes[0]!.method, body: probes[0]!.body })).status).toBe(probes[0]!.status);
    sent[0]!++;

    app.process.kill('SIGTERM');
    await app.exited;
    expect({ code: app.process.exitCode, signal: app.process.signalCode as string | null }).toEqual(exit);

    expect(sink.problems).toEqual([]);
    expect(sink.count()).toBe(TOTAL + 1);
    const expected = new Map<string, number>();
    probes.forEach((probe, i) => {
      const key = `${probe.key} ${statusClassOf(probe.status)}`;
      expected.set(key, (expected.get(key) ?? 0) + sent[i]!);
    });
    const counted = new Map<string, number>();
    let errors = 0;
    for (const batch of sink.batches) {
      for (const cell of batch.rollups) {
        const key = `${cell.method} ${cell.route} ${cell.statusClass}`;
        counted.set(key, (counted.get(key) ?? 0) + cell.count);
        errors += cell.errors;
      }
    }
    expect(Object.fromEntries(counted)).toEqual(Object.fromEntries(expected));
    const expectedErrors = probes.reduce((sum, probe, i) => sum + (probe.thrown || probe.status >= 500 ? sent[i]! : 0), 0);
    expect(errors).toBe(expectedErrors);

    const samples = sink.batches.flatMap((batch) => batch.samples);
    // Binomial(1201, 0.1): mean 120, sd ≈ 10.4; the bounds are more than 5 sd away.
    expect(samples.length).toBeGreaterThan(65);
    expect(samples.length).toBeLessThan(175);
    for (const sample of samples) {
      expect(sample.route.includes(':') || !/\d/.test(sample.route)).toBe(true);
      expect(sample.memoryUsage?.rss).toBeGreaterThan(0);
      expect(sample.cpuUsage).toBeGreaterThanOrEqual(0);
    }
    expect(samples.some((sample) => sample.path === '/users/42' || sample.path === '/users/1')).toBe(true);
    expect(sink.batches.flatMap((batch) => batch.profiles).length).toBeGreaterThan(0);
    expect(sink.attempts.every((attempt) => attempt.contentEncoding === 'gzip')).toBe(true);
  }, 60_000);
});

describe('adaptive sampling (the defaults)', () => {
  test('every request counted; detail within the cap per second; rare routes still get theirs; the batches say how', async () => {
    const sink = new IngestSink().start();
    sinks.push(sink);
    const app = await startApp('routes-app.ts', {
      env: { BUN_APM_ENDPOINT: sink.url, BUN_APM_INGEST_KEY: sink.ingestKey, BUN_APM_FLUSH_INTERVAL_MS: '300', BUN_APM_SAMPLES_PER_SECOND: '4' },
    });
    started.push(app);
    const probes = APPS[0]!.probes;
    const began = performance.now();
    const sent = await drive(app.url, probes, TOTAL);
    const seconds = (performance.now() - began) / 1000;
    app.process.kill('SIGTERM');
    await app.exited;

    expect(sink.problems).toEqual([]);
    expect(sink.count()).toBe(TOTAL);
    expect(sent.reduce((a, b) => a + b, 0)).toBe(TOTAL);
    const samples = sink.batches.flatMap((batch) => batch.samples);
    // A full bucket (4) at start, then 4 per second while the load ran (and the app started).
    expect(samples.length).toBeGreaterThanOrEqual(4);
    expect(samples.length).toBeLessThanOrEqual(4 + Math.ceil((seconds + 2) * 4));
    // Fairness: with eight routes driven evenly, the detail is not all one route's.
    expect(new Set(samples.map((s) => s.route)).size).toBeGreaterThan(1);
    for (const batch of sink.batches) {
      expect(batch.identity.sampling).toEqual({ samplesPerSecond: 4, tracesPerSecond: 1, parentTracesPerSecond: 10, routeFairness: true });
    }
  }, 60_000);
});
