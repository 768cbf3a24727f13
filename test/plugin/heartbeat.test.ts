// Fewer requests for the edge: an instance with only system profiles to report sends once a
// heartbeat, one with traffic every flush interval, and a loss is reported without waiting for the
// heartbeat. Against a real local ingest sink, on short intervals (100 ms flush, 800 ms heartbeat).
import { afterAll, describe, expect, test } from 'bun:test';
import { Batcher, HEARTBEAT_MS } from '../../src/plugin/runtime/batcher.ts';
import { createEdgeSender } from '../../src/plugin/runtime/edge-sender.ts';
import { processIdentity } from '../../src/plugin/runtime/identity.ts';
import { createLog } from '../../src/plugin/runtime/log.ts';
import { IngestSink } from './support/ingest-sink.ts';
import { testRecorder } from './support/recorder.ts';

const FLUSH_MS = 100;
const HEARTBEAT = 800;
const sinks: IngestSink[] = [];
const batchers: Batcher[] = [];
afterAll(async () => {
  for (const batcher of batchers) batcher.stop();
  await Promise.all(sinks.map((sink) => sink.stop()));
});

function setup() {
  const sink = new IngestSink().start();
  sinks.push(sink);
  const { recorder } = testRecorder({ sampleRate: 0 });
  const batcher = new Batcher({
    recorder,
    identity: processIdentity('heartbeat-test', 'api'),
    flushIntervalMs: FLUSH_MS,
    heartbeatMs: HEARTBEAT,
    maxPendingBytes: 1024 * 1024,
    send: createEdgeSender({ endpoint: sink.url, ingestKey: sink.ingestKey, sdkVersion: 'test' }, { maxAttempts: 1, timeoutMs: 2_000 }),
    log: createLog(false, () => {}),
  });
  batchers.push(batcher);
  const profile = () => batcher.addProfile({ timestamp: Date.now(), rss: 1e8, heapUsed: 1e7, heapTotal: 2e7, cpuPercent: 1, eventLoopLagMs: 0.5, inFlight: 0 });
  const serve = () => recorder.respond(recorder.begin(new Request('http://h/orders'))!, new Response());
  return { sink, batcher, profile, serve };
}

/** Runs `each` every 50 ms for `ms`. */
async function during(ms: number, each: () => void): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    each();
    await Bun.sleep(50);
  }
}

describe('heartbeat', () => {
  test('the default heartbeat is a minute: 1,440 requests a day for an idle instance', () => {
    expect(HEARTBEAT_MS).toBe(60_000);
    expect(86_400_000 / HEARTBEAT_MS).toBe(1_440);
  });

  test('idle (only profiles): one batch per heartbeat, every profile in it; traffic: one per flush interval', async () => {
    const { sink, batcher, profile, serve } = setup();
    batcher.start();
    let profiles = 0;
    await during(2_000, () => {
      profile();
      profiles++;
    });
    await batcher.flush();
    const idleBatches = sink.batches.length;
    // 2 s at 100 ms would be ~20 batches; a heartbeat of 800 ms allows 2, plus the final flush.
    expect(idleBatches).toBeGreaterThanOrEqual(2);
    expect(idleBatches).toBeLessThanOrEqual(4);
    expect(sink.batches.reduce((sum, b) => sum + b.profiles.length, 0)).toBe(profiles);

    let served = 0;
    await during(1_500, () => {
      serve();
      served++;
    });
    await batcher.flush();
    const busyBatches = sink.batches.length - idleBatches;
    // ~15 intervals; a loaded machine delays timers, so at least a third of them.
    expect(busyBatches).toBeGreaterThanOrEqual(5);
    expect(sink.count()).toBe(served);
    expect(sink.problems).toEqual([]);
  }, 20_000);

  test('a loss to report is worth a request: it does not wait for the heartbeat', async () => {
    const { sink, batcher, profile } = setup();
    batcher.start();
    await Bun.sleep(HEARTBEAT + 300); // the first heartbeat has gone
    const before = sink.batches.length;
    // Spans past the recording bound are dropped and counted: a loss the edge should hear of soon.
    batcher.addSpans(Array.from({ length: 20_001 }, () => ({ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), name: 'x', kind: 'internal' as const, startTime: Date.now(), duration: 1, status: 'ok' as const, tags: {}, logs: [] })));
    profile();
    const arrived = Date.now();
    while (sink.batches.slice(before).every((b) => b.dropped.spans === 0) && Date.now() - arrived < 5_000) await Bun.sleep(20);
    expect(sink.batches.slice(before).some((b) => b.dropped.spans > 0)).toBe(true);
    expect(Date.now() - arrived).toBeLessThan(HEARTBEAT);
  }, 20_000);
});
