// The exporter's hold on a send: where it is (on the wire, or asleep before a retry), giving it up
// (abandon() after close()'s bound), and the process's last call (a retry asleep woken for one attempt
// more). Against a collector on 127.0.0.1, and the batching exporter's exit drain that reads them.
import { afterAll, expect, test } from 'bun:test';
import { haltExports, lastCallExports, resumeExports, sendWithRetry, type SendStage } from '../../../src/plugin/runtime/send-with-retry.ts';
import { BatchingSpanExporter, type DeliveryControl } from '../../../src/plugin/runtime/exporters/batching-span-exporter.ts';
import { makeSpans } from './support/spans.ts';

const servers: Array<ReturnType<typeof Bun.serve>> = [];
afterAll(async () => void (await Promise.all(servers.map((server) => server.stop(true)))));

/** Answers each POST with the next of `answers` ('hang': never), then 200. */
function collector(answers: Array<number | 'hang'>): { url: string; posts: number[] } {
  const posts: number[] = [];
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    idleTimeout: 0,
    fetch: () => {
      posts.push(performance.now());
      const answer = answers.shift() ?? 200;
      if (answer === 'hang') return new Promise<Response>(() => {});
      return new Response('', { status: answer, headers: answer === 429 ? { 'retry-after': '600' } : {} });
    },
  });
  servers.push(server);
  return { url: `http://127.0.0.1:${server.port}/v1/traces`, posts };
}

test('the stages a send goes through: on the wire, asleep before a retry, on the wire again', async () => {
  const { url, posts } = collector([503]);
  const stages: SendStage[] = [];
  const outcome = await sendWithRetry(url, { method: 'POST', body: '{}' }, { initialBackoffMs: 20, random: () => 0.5, onStage: (stage) => stages.push(stage) });
  expect([outcome.ok, posts.length]).toEqual([true, 2]);
  expect(stages).toEqual(['wire', 'waiting', 'wire']);
});

test('aborted asleep (a Retry-After of 10 minutes) or on the wire (a collector that never answers): the send ends at once, not retried', async () => {
  for (const first of [429, 'hang'] as const) {
    const { url, posts } = collector([first]);
    const abort = new AbortController();
    const sent = sendWithRetry(url, { method: 'POST', body: '{}' }, { signal: abort.signal, timeoutMs: 60_000 });
    while (posts.length === 0) await Bun.sleep(5);
    await Bun.sleep(50);
    const from = performance.now();
    abort.abort();
    const outcome = await sent;
    expect(performance.now() - from).toBeLessThan(200);
    expect([outcome.ok, posts.length]).toEqual([false, 1]);
  }
});

test("the last call wakes a trace exporter's retry asleep for an attempt now, and no wait past the budget; the edge's sends are left to their policy", async () => {
  haltExports(); // a last call made by an earlier test file in this process cleared
  resumeExports();
  try {
    const exporter = collector([429, 429]);
    const edge = collector([429]);
    const exporterSent = sendWithRetry(exporter.url, { method: 'POST', body: '{}' }, { endAtLastCall: true });
    void sendWithRetry(edge.url, { method: 'POST', body: '{}' }, { maxAttempts: 2 });
    while (exporter.posts.length === 0 || edge.posts.length === 0) await Bun.sleep(5);
    lastCallExports(2000);
    const outcome = await exporterSent;
    // Refused again (429, Retry-After: 600): given up, not asleep past the budget.
    expect([outcome.ok, outcome.attempts, exporter.posts.length]).toEqual([false, 2, 2]);
    await Bun.sleep(100);
    expect(edge.posts).toHaveLength(1);
  } finally {
    haltExports(); // ends the edge's wait, and resuming clears the last call for the tests after
    resumeExports();
  }
});

test('at exit, a batch asleep before its retry is encoded again with the queue; one on the wire is counted as in flight; abandon() aborts the send', async () => {
  for (const stage of ['waiting', 'wire'] as const) {
    let control: DeliveryControl | undefined;
    const exporter = new BatchingSpanExporter(
      'otlp',
      (_batch, given) => {
        control = given;
        given.onStage(stage);
        return new Promise(() => {});
      },
      { maxExportBatchSize: 4, scheduledDelayMs: 60_000, log: () => {} },
      (batch) => ({ url: 'http://collector.test/v1/traces', headers: {}, body: new TextEncoder().encode(batch.map((span) => span.spanId).join(',')) }),
    );
    const spans = makeSpans(6);
    expect(exporter.readyForExit).toBe(true);
    exporter.export(spans);
    while (control === undefined) await Bun.sleep(1);
    // What the exit can send (a queue, a batch asleep) needs no turn of the loop at beforeExit; one on the wire does (a review).
    expect(exporter.readyForExit).toBe(stage === 'waiting');
    const drain = exporter.drainAtExit();
    const sent = drain.requests.map((request) => new TextDecoder().decode(request.body));
    const ids = spans.map((span) => span.spanId);
    if (stage === 'waiting') {
      expect(sent).toEqual([ids.slice(0, 4).join(','), ids.slice(4).join(',')]);
      expect(drain.inFlight).toBe(0);
      expect(control.signal.aborted).toBe(true);
    } else {
      expect(sent).toEqual([ids.slice(4).join(',')]);
      expect(drain.inFlight).toBe(4);
      expect(control.signal.aborted).toBe(false);
    }
  }
  let control: DeliveryControl | undefined;
  const exporter = new BatchingSpanExporter('otlp', (_batch, given) => ((control = given), new Promise(() => {})), { maxExportBatchSize: 4, log: () => {} });
  exporter.export(makeSpans(6));
  while (control === undefined) await Bun.sleep(1);
  // Without an exit encoder (a custom exporter's function), only an empty exporter is ready.
  expect(exporter.readyForExit).toBe(false);
  expect(exporter.abandon()).toBe(6);
  expect(control.signal.aborted).toBe(true);
  expect(exporter.dropped).toBe(6);
});
