// At full detail each sample repeated the latest profile's memory and CPU figures. For an edge
// that names `carriedProfiles`, a batch so marked has them on each cut's first sample and where they
// change, and the edge carries them forward (fillCarriedProfiles); an older edge gets them on every
// sample, and one rolled back refuses a marked batch, which goes again with them written out. Real
// app, real preload, a real sink; profiles every 200 ms so that several land among the samples.
import { afterAll, describe, expect, test } from 'bun:test';
import { fillCarriedProfiles, hasProfileFigures, type Batch, type DetailSample } from '../../src/core/wire-format.ts';
import { startApp, type AppProcess } from './support/app-process.ts';
import { writeConfig } from './support/config-file.ts';
import { IngestSink } from './support/ingest-sink.ts';

const REQUESTS = 600;
const TAKES_IT = ['dropped.parentTraces', 'carriedProfiles'];
const apps: AppProcess[] = [];
const sinks: IngestSink[] = [];
afterAll(async () => {
  await Promise.all(apps.map((app) => app.kill()));
  await Promise.all(sinks.map((sink) => sink.stop()));
});

const figures = (s: { rss: number; heapUsed: number; heapTotal: number }, cpu: number) => `${s.rss}/${s.heapUsed}/${s.heapTotal}/${cpu}`;

/**
 * Every request answered at full detail, spread over ~1.5 s so that several profiles fall among
 * them; `halfway` runs after half of them. The batches stored once the app has exited, in order.
 */
async function run(accepts: string[] | undefined, halfway?: (sink: IngestSink) => void): Promise<{ sink: IngestSink; batches: Batch[] }> {
  const sink = new IngestSink().start();
  sink.accepts = accepts;
  sinks.push(sink);
  const app = await startApp('routes-app.ts', {
    env: {
      BUN_APM_ENDPOINT: sink.url, BUN_APM_INGEST_KEY: sink.ingestKey, BUN_APM_FLUSH_INTERVAL_MS: '200',
      BUN_APM_SAMPLE_RATE: '1', BUN_APM_TRACE_SAMPLE_RATE: '0',
      BUN_APM_CONFIG: writeConfig('export default { profiling: { interval: 200 } };'),
    },
  });
  apps.push(app);
  for (let i = 0; i < REQUESTS; i++) {
    if (i === REQUESTS / 2) halfway?.(sink);
    await (await app.fetch(`/users/${i}`)).arrayBuffer();
    if (i % 50 === 49) await Bun.sleep(120);
  }
  app.process.kill('SIGTERM');
  await app.exited;
  expect(sink.problems).toEqual([]);
  expect(sink.count()).toBe(REQUESTS);
  return { sink, batches: sink.batches };
}

/**
 * Each marked batch filled on its own, as the edge does: every sample after the first profile has the
 * figures of a profile the app took, and of profiles in the order they were taken.
 */
function expectProfiled(batches: Batch[]): DetailSample[] {
  const profiles = batches.flatMap((batch) => batch.profiles).sort((a, b) => a.timestamp - b.timestamp);
  const samples: DetailSample[] = [];
  for (const batch of batches) {
    const filled = structuredClone(batch.samples);
    if (batch.carriedProfiles) fillCarriedProfiles(filled);
    samples.push(...filled);
  }
  expect(samples).toHaveLength(REQUESTS);
  // The first profile comes 200 ms after the start: every sample after it has its figures.
  const first = samples.findIndex(hasProfileFigures);
  expect(first).toBeGreaterThanOrEqual(0);
  const profiled = samples.slice(first);
  expect(profiled.every(hasProfileFigures)).toBe(true);
  let current = 0;
  for (const sample of profiled) {
    const at = profiles.findIndex((p, i) => i >= current && figures(p, p.cpuPercent) === figures(sample.memoryUsage!, sample.cpuUsage!));
    expect(at).toBeGreaterThanOrEqual(0);
    current = at;
  }
  // Several profiles among them, or carrying forward was not put to the test.
  expect(current).toBeGreaterThan(2);
  return samples;
}

describe('memory and CPU figures of detail records', () => {
  test('an edge that takes carried figures gets marked batches with far fewer, and restores every record', async () => {
    const { batches } = await run(TAKES_IT);
    expectProfiled(batches);
    // The first batch went before the client knew: unmarked, every sample after the first profile with its figures.
    const [first, ...later] = batches;
    expect(first!.carriedProfiles).toBeUndefined();
    const profiledAt = first!.samples.findIndex(hasProfileFigures);
    if (profiledAt >= 0) expect(first!.samples.slice(profiledAt).every(hasProfileFigures)).toBe(true);
    const marked = later.filter((batch) => batch.carriedProfiles === true);
    const samples = marked.flatMap((batch) => batch.samples);
    expect(samples.length).toBeGreaterThan(REQUESTS / 2);
    expect(samples.filter(hasProfileFigures).length).toBeLessThan(samples.length / 5);
    // A marked batch restores by itself: its first sample has the figures.
    for (const batch of marked) expect(hasProfileFigures(batch.samples[0]!)).toBe(true);
  }, 60_000);

  test('an older edge gets them on every record, in unmarked batches', async () => {
    const { batches } = await run(undefined);
    const samples = expectProfiled(batches);
    expect(batches.every((batch) => batch.carriedProfiles === undefined)).toBe(true);
    expect(batches.flatMap((batch) => batch.samples)).toEqual(samples);
  }, 60_000);

  test('an edge rolled back refuses the marked batch once; it goes again with every figure written, no record lost', async () => {
    const { sink, batches } = await run(TAKES_IT, (sink) => (sink.accepts = undefined));
    expect(sink.refusedAdditions).toBe(1);
    const refused = sink.attempts.find((attempt) => attempt.status === 422)!;
    // The same id went again, accepted, unmarked, and every record after the first profile has its own figures.
    const again = sink.stored.get(refused.batchId!)!;
    expect(again.carriedProfiles).toBeUndefined();
    expect(again.samples.length).toBeGreaterThan(0);
    expect(again.samples.every(hasProfileFigures)).toBe(true);
    expectProfiled(batches);
    const afterRefusal = batches.slice(batches.indexOf(again));
    expect(afterRefusal.every((batch) => batch.carriedProfiles === undefined)).toBe(true);
  }, 60_000);

  test('a marked batch refused as too large goes again in halves, each marked batch restoring by itself', async () => {
    const { sink, batches } = await run(TAKES_IT, (sink) => (sink.scripted = [413]));
    expect(sink.attempts.filter((attempt) => attempt.status === 413)).toHaveLength(1);
    const marked = batches.filter((batch) => batch.carriedProfiles === true);
    expect(marked.length).toBeGreaterThan(1);
    for (const batch of marked) expect(hasProfileFigures(batch.samples[0]!)).toBe(true);
    expectProfiled(batches);
  }, 60_000);
});
