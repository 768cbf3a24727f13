// An edge that refuses a batch for one of its detail records (a sample, a span) must not cost the
// requests the batch counts: the client sends the batch again with its counts alone, and the records
// are counted as dropped. A real app under the preload at full detail, a sink refusing every batch
// that holds a sample, as an edge stricter than this client would.
import { afterAll, expect, test } from 'bun:test';
import { startApp, type AppProcess } from './support/app-process.ts';
import { FAST_RETRY, writeConfig } from './support/config-file.ts';
import { IngestSink } from './support/ingest-sink.ts';
import { drive, type Probe } from './support/load.ts';
import { waitFor } from './support/wait-for.ts';

const PROBES: Probe[] = [
  { method: 'GET', path: '/users/1', status: 200, key: 'GET /users/:id' },
  { method: 'GET', path: '/health', status: 200, key: 'GET /health' },
];

const apps: AppProcess[] = [];
const sinks: IngestSink[] = [];
afterAll(async () => {
  await Promise.all(apps.map((app) => app.kill()));
  await Promise.all(sinks.map((sink) => sink.stop()));
});

test('a batch refused (422) for a detail record: its counts go again without the detail, every request counted', async () => {
  const sink = new IngestSink().start();
  sinks.push(sink);
  sink.refuse = (batch) => (batch.samples.length > 0 ? { path: 'samples[0].path', message: 'expected a path this edge takes' } : undefined);
  const app = await startApp('routes-app.ts', {
    env: {
      BUN_APM_ENDPOINT: sink.url, BUN_APM_INGEST_KEY: sink.ingestKey, BUN_APM_FLUSH_INTERVAL_MS: '200', BUN_APM_SAMPLE_RATE: '1',
      BUN_APM_CONFIG: writeConfig(`export default { ${FAST_RETRY} };`),
    },
  });
  apps.push(app);
  const sent = 3 * 40;
  for (let round = 0; round < 3; round++) {
    await drive(app.url, PROBES, 40);
    // Each round's batch is sealed and refused while the app runs, not left to the exit's send.
    const stored = sink.stored.size;
    expect(await waitFor(() => sink.stored.size > stored || undefined, 10_000)).toBe(true);
  }
  app.process.kill('SIGTERM');
  await app.exited;
  const refusedWithSamples = sink.attempts.filter((attempt) => attempt.status === 422).length;
  expect(refusedWithSamples).toBeGreaterThanOrEqual(3);
  // Was: each refused batch lost its counts too (reported as dropped requests).
  expect(sink.count()).toBe(sent);
  expect(sink.batches.every((batch) => batch.samples.length === 0)).toBe(true);
  expect(sink.batches.reduce((sum, batch) => sum + (batch.dropped.requests ?? 0), 0)).toBe(0);
  // The records refused are reported: those of the batches sent while the app ran, in later batches.
  expect(sink.batches.reduce((sum, batch) => sum + batch.dropped.samples, 0)).toBeGreaterThan(0);
  expect(app.stderr.match(/its request counts go again without its detail records/g)?.length).toBe(1);
}, 40_000);
