// Shipping under trouble: the OpenTelemetry retry rules end to end (same batch id on every attempt,
// stored once), refusals not retried, and an edge that is down for a while.
import { afterAll, describe, expect, test } from 'bun:test';
import { freePort, startApp, type AppProcess } from './support/app-process.ts';
import { FAST_RETRY, writeConfig } from './support/config-file.ts';
import { IngestSink } from './support/ingest-sink.ts';
import { drive, type Probe } from './support/load.ts';
import { waitFor } from './support/wait-for.ts';

const PROBES: Probe[] = [
  { method: 'GET', path: '/users/1', status: 200, key: 'GET /users/:id' },
  { method: 'GET', path: '/health', status: 200, key: 'GET /health' },
  { method: 'GET', path: '/boom', status: 500, key: 'GET /boom' },
];

const started: AppProcess[] = [];
const sinks: IngestSink[] = [];
afterAll(async () => {
  await Promise.all(started.map((app) => app.kill()));
  await Promise.all(sinks.map((sink) => sink.stop()));
});

describe('delivery', () => {
  test('503, 503, then 202: one batch id on all three attempts, stored once, nothing lost', async () => {
    const sink = new IngestSink().start();
    sinks.push(sink);
    sink.scripted = [503, 503];
    const app = await startApp('routes-app.ts', {
      env: { BUN_APM_ENDPOINT: sink.url, BUN_APM_INGEST_KEY: sink.ingestKey, BUN_APM_FLUSH_INTERVAL_MS: '200', BUN_APM_CONFIG: writeConfig(`export default { ${FAST_RETRY} };`) },
    });
    started.push(app);
    await drive(app.url, PROBES, 300);
    expect(await waitFor(() => sink.stored.size >= 1 || undefined, 10_000)).toBe(true);
    const [first, second, third] = sink.attempts;
    expect([first?.status, second?.status, third?.status]).toEqual([503, 503, 202]);
    expect(first?.batchId).toBeDefined();
    expect(second?.batchId).toBe(first?.batchId);
    expect(third?.batchId).toBe(first?.batchId);
    expect(sink.stored.has(first!.batchId!)).toBe(true);

    app.process.kill('SIGTERM');
    await app.exited;
    expect(sink.count()).toBe(300);
    expect(sink.problems).toEqual([]);
    // Every batch names its instance in a header (a sharded edge routes by it); the sink checked it against the batch.
    expect(sink.attempts.filter((a) => a.status === 202).every((a) => typeof a.instanceHeader === 'string')).toBe(true);
  }, 30_000);

  test('a refusal (400) is not retried (but once without its detail records), is reported once on stderr, and its loss is counted in a later batch', async () => {
    const sink = new IngestSink().start();
    sinks.push(sink);
    sink.scripted = [400, 400];
    const app = await startApp('routes-app.ts', {
      env: { BUN_APM_ENDPOINT: sink.url, BUN_APM_INGEST_KEY: sink.ingestKey, BUN_APM_FLUSH_INTERVAL_MS: '100', BUN_APM_CONFIG: writeConfig(`export default { ${FAST_RETRY} };`) },
    });
    started.push(app);
    await drive(app.url, PROBES, 90);
    expect(await waitFor(() => sink.attempts.length >= 2 || undefined, 10_000)).toBe(true);
    await drive(app.url, PROBES, 90);
    app.process.kill('SIGTERM');
    await app.exited;
    const [first, second, third] = sink.attempts;
    expect(first?.status).toBe(400);
    expect(second?.status).toBe(400);
    // The first held detail (samples, profiles): its counts went again alone, under its id; refused
    // again, the batch is dropped, not retried: the next attempt is the next batch.
    expect(second?.batchId).toBe(first?.batchId);
    expect(third?.batchId).not.toBe(first?.batchId);
    expect(app.stderr.match(/the edge refused a batch: /g)?.length).toBe(1);
    expect(app.stderr.match(/its request counts go again without its detail records/g)?.length).toBe(1);
    const dropped = sink.batches.reduce((sum, batch) => sum + batch.dropped.rollups, 0);
    expect(dropped).toBeGreaterThan(0);
    expect(sink.count()).toBeLessThan(180);
    expect(sink.count()).toBeGreaterThan(0);
    // The refused batches' requests are reported, exactly: counted + reported missing = sent.
    expect(sink.count() + sink.batches.reduce((sum, batch) => sum + (batch.dropped.requests ?? 0), 0)).toBe(180);
  }, 30_000);

  test('edge down for the whole run: responses unchanged, the pending bound is hit; when the edge is back, data arrives with the dropped count', async () => {
    const port = freePort();
    const sink = new IngestSink();
    sinks.push(sink);
    const config = writeConfig(`export default { maxPendingBytes: 2048, profiling: { interval: 100 }, ${FAST_RETRY} };`);
    const app = await startApp('routes-app.ts', {
      env: { BUN_APM_ENDPOINT: `http://127.0.0.1:${port}`, BUN_APM_INGEST_KEY: sink.ingestKey, BUN_APM_FLUSH_INTERVAL_MS: '100', BUN_APM_CONFIG: config },
    });
    started.push(app);
    const plain = await startApp('routes-app.ts', { plain: true });
    started.push(plain);
    for (let round = 0; round < 15; round++) {
      await drive(app.url, PROBES, 60);
      await Bun.sleep(100); // let flushes happen while the edge is down: this is the condition under test
    }
    for (const path of ['/users/1', '/users', '/health', '/boom', '/nope']) {
      const [monitored, bare] = await Promise.all([app.fetch(path), plain.fetch(path)]);
      expect(monitored.status).toBe(bare.status);
      expect(await monitored.text()).toBe(await bare.text());
    }
    expect(app.stderr).toContain('the edge is unreachable (TypeError: ECONNREFUSED');

    sink.start(port);
    const withDrops = await waitFor(() => sink.batches.find((batch) => batch.dropped.rollups + batch.dropped.profiles > 0), 15_000);
    expect(withDrops).toBeDefined();
    app.process.kill('SIGTERM');
    await app.exited;
    expect(sink.problems).toEqual([]);
    expect(sink.count()).toBeGreaterThan(0);
    // Every request is counted or reported missing, exactly (15 rounds of 60, and the 5 compared).
    expect(sink.count() + sink.batches.reduce((sum, batch) => sum + (batch.dropped.requests ?? 0), 0)).toBe(15 * 60 + 5);
  }, 60_000);
});
