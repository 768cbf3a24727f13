// The buffering every exporter shares, driven with in-process deliver functions: when batches go,
// one in flight, flush and shutdown, what is dropped and counted, and that nothing escapes.
import { expect, test } from 'bun:test';
import { BatchingSpanExporter, combineSpanExporters, type DeliveryResult } from '../../../src/plugin/runtime/exporters/index.ts';
import { MAX_BATCH_BYTES } from '../../../src/plugin/runtime/exporters/batching-span-exporter.ts';
import type { Span } from '../../../src/core/wire-format.ts';
import { makeSpan, makeSpans } from './support/spans.ts';

async function until(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await Bun.sleep(2);
  }
}

/** A deliver function that records batches and answers ok. */
function recorder() {
  const batches: Span[][] = [];
  return { batches, deliver: async (batch: Span[]): Promise<DeliveryResult> => (batches.push(batch), { ok: true }) };
}

test('a full batch goes at once, but never on the caller’s stack', async () => {
  const { batches, deliver } = recorder();
  const exporter = new BatchingSpanExporter('t', deliver, { maxExportBatchSize: 10, scheduledDelayMs: 60_000 });
  exporter.export(makeSpans(10));
  expect(batches).toHaveLength(0);
  await until(() => batches.length === 1);
  expect(batches[0]).toHaveLength(10);
});

test('a partial batch waits for the scheduled delay', async () => {
  const { batches, deliver } = recorder();
  const exporter = new BatchingSpanExporter('t', deliver, { maxExportBatchSize: 10, scheduledDelayMs: 80 });
  const started = performance.now();
  exporter.export(makeSpans(3));
  await until(() => batches.length === 1);
  expect(performance.now() - started).toBeGreaterThanOrEqual(70);
  expect(batches[0]).toHaveLength(3);
});

test('at most one export in flight', async () => {
  let inFlight = 0;
  let most = 0;
  let sent = 0;
  const exporter = new BatchingSpanExporter(
    't',
    async (batch) => {
      most = Math.max(most, ++inFlight);
      await Bun.sleep(5);
      inFlight--;
      sent += batch.length;
      return { ok: true };
    },
    { maxExportBatchSize: 10, maxQueueSize: 1000 },
  );
  for (let i = 0; i < 20; i++) exporter.export(makeSpans(5));
  await exporter.flush();
  expect(sent).toBe(100);
  expect(most).toBe(1);
});

test('flush() waits for the batch in flight; with nothing pending it resolves at once', async () => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let finished = false;
  const exporter = new BatchingSpanExporter('t', async () => {
    await gate;
    finished = true;
    return { ok: true };
  }, { maxExportBatchSize: 2 });
  await exporter.flush();
  exporter.export(makeSpans(2));
  const flushed = exporter.flush();
  await Bun.sleep(10);
  expect(finished).toBe(false);
  release();
  await flushed;
  expect(finished).toBe(true);
  expect(exporter.delivered).toBe(2);
});

test('flush() ends even while spans keep arriving: it waits only for what was queued before it', async () => {
  const { batches, deliver } = recorder();
  const exporter = new BatchingSpanExporter('t', deliver, { maxExportBatchSize: 10, maxQueueSize: 100_000 });
  exporter.export(makeSpans(25));
  let producing = true;
  const producer = (async () => {
    while (producing) {
      exporter.export(makeSpans(10));
      await Bun.sleep(0);
    }
  })();
  await exporter.flush();
  producing = false;
  await producer;
  expect(batches.flat().length).toBeGreaterThanOrEqual(25);
});

test('shutdown() flushes, runs once, and later spans are refused and counted', async () => {
  const { batches, deliver } = recorder();
  const logs: string[] = [];
  const exporter = new BatchingSpanExporter('t', deliver, { scheduledDelayMs: 60_000, log: (m) => logs.push(m) });
  exporter.export(makeSpans(3));
  const first = exporter.shutdown();
  expect(exporter.shutdown()).toBe(first);
  await first;
  expect(batches.flat()).toHaveLength(3);
  exporter.export(makeSpans(4));
  await exporter.flush();
  expect(batches.flat()).toHaveLength(3);
  expect(exporter.dropped).toBe(4);
  expect(logs).toEqual(['exporter t: 4 span(s) dropped: exported after shutdown']);
});

test('malformed spans are dropped and counted; the good ones in the same call still go', async () => {
  const { batches, deliver } = recorder();
  const logs: string[] = [];
  const exporter = new BatchingSpanExporter('t', deliver, { log: (m) => logs.push(m) });
  const good = makeSpan();
  exporter.export([
    makeSpan({ traceId: 'XYZ' }),
    good,
    makeSpan({ spanId: '00F067AA0BA902B7' }),
    makeSpan({ startTime: Number.NaN }),
    makeSpan({ logs: [{ timestamp: Number.POSITIVE_INFINITY, level: 'info', message: 'x' }] }),
    null as unknown as Span,
  ]);
  await exporter.flush();
  expect(batches).toEqual([[good]]);
  expect(exporter.dropped).toBe(5);
  expect(logs).toEqual(['exporter t: 1 span(s) dropped: malformed (ids must be lowercase hex, times finite)']);
  await exporter.shutdown();
  expect(logs[1]).toBe('exporter t: 4 more span(s) dropped (5 in all): malformed (ids must be lowercase hex, times finite)');
});

test('a deliver function that throws or rejects never escapes: the batch is counted, the next one goes', async () => {
  let calls = 0;
  const logs: string[] = [];
  const exporter = new BatchingSpanExporter('t', async (batch) => {
    calls++;
    if (calls === 1) throw new TypeError('encoder broke');
    if (calls === 2) return Promise.reject(new Error('nope'));
    return { ok: true };
  }, { maxExportBatchSize: 2, log: (m) => logs.push(m) });
  exporter.export(makeSpans(2));
  await exporter.flush();
  exporter.export(makeSpans(2));
  await exporter.flush();
  exporter.export(makeSpans(2));
  await exporter.flush();
  expect(exporter.dropped).toBe(4);
  expect(exporter.delivered).toBe(2);
  // The first failure at once; the next, within the minute, waits for a running total (here, the shutdown's).
  expect(logs).toEqual(['exporter t: 2 span(s) dropped: not delivered (TypeError: encoder broke)']);
  await exporter.shutdown();
  expect(logs[1]).toBe('exporter t: 2 more span(s) dropped (4 in all): not delivered (Error: nope)');
});

/**
 * The lines an exporter writes for a batch a time, each answered at its time on a clock of the test's;
 * with `shutdown`, then the line its shutdown writes.
 */
async function linesOver(answers: Array<[number, DeliveryResult]>, shutdown = false): Promise<string[]> {
  let clock = 0;
  const logs: string[] = [];
  const exporter = new BatchingSpanExporter('t', async () => answers.shift()![1], { log: (m) => logs.push(m), now: () => clock });
  while (answers.length > 0) {
    clock = answers[0]![0];
    exporter.export(makeSpans(1));
    await exporter.flush();
  }
  if (shutdown) await exporter.shutdown();
  return logs;
}

// The loss 10 s on was counted nowhere before (a line per outage, the second one too soon).
test('after a success, the next outage is reported again once a minute has passed since the last line, with what was lost meanwhile', async () => {
  const answers: Array<[number, DeliveryResult]> = [
    [0, { ok: false, reason: 'down' }], [1_000, { ok: true }],
    [10_000, { ok: false, reason: 'down 10 s later' }], [11_000, { ok: true }],
    [61_000, { ok: false, reason: 'down 61 s later' }],
  ];
  expect(await linesOver(answers)).toEqual(['exporter t: 1 span(s) dropped: not delivered (down)', 'exporter t: 2 more span(s) dropped (3 in all): 1 not delivered (down 10 s later); 1 not delivered (down 61 s later)']);
});

test('a clock stepped back does not silence an outage (found by a review)', async () => {
  const answers: Array<[number, DeliveryResult]> = [[3_600_000, { ok: false, reason: 'down' }], [3_601_000, { ok: true }], [0, { ok: false, reason: 'down after NTP stepped the clock back an hour' }]];
  expect(await linesOver(answers)).toEqual(['exporter t: 1 span(s) dropped: not delivered (down)', 'exporter t: 1 more span(s) dropped (2 in all): not delivered (down after NTP stepped the clock back an hour)']);
});

test('an outage that lasts: a running total once the minute is up, and the rest at shutdown', async () => {
  const answers: Array<[number, DeliveryResult]> = [
    [0, { ok: false, reason: 'down' }], [1_000, { ok: true }], [10_000, { ok: false, reason: 'down' }], [60_000, { ok: false, reason: 'down' }], [90_000, { ok: false, reason: 'down' }],
  ];
  expect(await linesOver(answers, true)).toEqual([
    'exporter t: 1 span(s) dropped: not delivered (down)',
    'exporter t: 2 more span(s) dropped (3 in all): not delivered (down)',
    'exporter t: 1 more span(s) dropped (4 in all): not delivered (down)',
  ]);
});

test('one outage is one cause however many attempts each batch had; past four causes the rest are summed', async () => {
  const reasons = ['down after 5 attempts', 'down after 2 attempts', 'down', 'HTTP 500 #1', 'HTTP 500 #2', 'HTTP 500 #3', 'HTTP 500 #4', 'HTTP 500 #5'];
  const answers = reasons.map((reason, i): [number, DeliveryResult] => [i === 0 ? 0 : 1_000, { ok: false, reason }]);
  expect(await linesOver(answers, true)).toEqual([
    'exporter t: 1 span(s) dropped: not delivered (down after 5 attempts)',
    'exporter t: 7 more span(s) dropped (8 in all): 2 not delivered (down); 1 not delivered (HTTP 500 #1); 1 not delivered (HTTP 500 #2); 1 not delivered (HTTP 500 #3); 2 for other causes (the last: not delivered (HTTP 500 #5))',
  ]);
});

test('a flapping backend (failure or partial success, then success, 100 times over) is written once per kind', async () => {
  for (const trouble of [{ ok: false, reason: 'HTTP 503: busy' }, { ok: true, rejected: 1, message: 'attribute too long' }] as DeliveryResult[]) {
    let n = 0;
    const logs: string[] = [];
    const exporter = new BatchingSpanExporter('t', async () => (n++ % 2 === 0 ? trouble : { ok: true }), { log: (m) => logs.push(m) });
    for (let i = 0; i < 200; i++) {
      exporter.export(makeSpans(1));
      await exporter.flush();
    }
    expect(n).toBe(200);
    expect(logs).toHaveLength(1);
  }
});

test('a logger that throws does not break exporting', async () => {
  const exporter = new BatchingSpanExporter('t', async () => ({ ok: false, reason: 'down' }), {
    log: () => {
      throw new Error('logger broke');
    },
  });
  exporter.export(makeSpans(1));
  await exporter.flush();
  expect(exporter.dropped).toBe(1);
});

test('memory stays bounded while the backend hangs: 200 000 spans through a 1 000-span queue', async () => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let hanging = false;
  const logs: string[] = [];
  const exporter = new BatchingSpanExporter('t', async () => ((hanging = true), await gate, { ok: true }), {
    maxQueueSize: 1000,
    maxExportBatchSize: 100,
    log: (m) => logs.push(m),
  });
  Bun.gc(true);
  const before = process.memoryUsage().heapUsed;
  exporter.export(makeSpans(1000));
  await until(() => hanging); // one batch of 100 now hangs in flight; the rest must wait in the queue
  for (let chunk = 1; chunk < 200; chunk++) {
    // Fresh strings per span, so that keeping them would cost what real spans cost.
    exporter.export(makeSpans(1000, { name: `GET /orders/${chunk}/${'x'.repeat(200)}`.slice(0, 220 + (chunk % 7)) }));
  }
  Bun.gc(true);
  const grown = process.memoryUsage().heapUsed - before;
  expect(exporter.queued).toBe(1000);
  // Kept: the queue and the one batch in flight. 200 000 retained spans would be well over 50 MB.
  expect(grown).toBeLessThan(15 * 1024 * 1024);
  release();
  await exporter.shutdown();
  expect(exporter.delivered + exporter.dropped).toBe(200_000);
  expect(exporter.delivered).toBe(1100);
  // Every span pushed out is said: the first at once, the rest at shutdown (within the minute).
  expect(logs).toEqual([expect.stringMatching(/^exporter t: \d+ span\(s\) dropped: pushed out of the full queue \(maxQueueSize 1000\)$/), expect.any(String)]);
  const first = Number(/(\d+) span/.exec(logs[0]!)![1]);
  expect(logs[1]).toBe(`exporter t: ${200_000 - 1100 - first} more span(s) dropped (${200_000 - 1100} in all): pushed out of the full queue (maxQueueSize 1000)`);
});

test('its timers never keep the process alive', async () => {
  const script = `
    import { BatchingSpanExporter } from '${new URL('../../../src/plugin/runtime/exporters/index.ts', import.meta.url).pathname}';
    const exporter = new BatchingSpanExporter('t', async () => ({ ok: true }), { scheduledDelayMs: 60_000 });
    exporter.export([{ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', name: 'x', kind: 'server', startTime: 1, duration: 1, status: 'ok', tags: {}, logs: [] }]);
    console.log('queued', exporter.queued);
  `;
  const started = performance.now();
  const child = Bun.spawn([process.execPath, '-e', script], { stdout: 'pipe', stderr: 'pipe' });
  const timeout = setTimeout(() => child.kill(), 10_000);
  const [code, out] = await Promise.all([child.exited, new Response(child.stdout).text()]);
  clearTimeout(timeout);
  expect(out.trim()).toBe('queued 1');
  expect(code).toBe(0);
  expect(performance.now() - started).toBeLessThan(10_000);
});

test('batches are cut by bytes as well as by count: long tags make smaller batches, a giant span goes alone', async () => {
  // Found by a review: 512 spans carrying long query strings made a 7.7 MB batch, encoded in one call.
  const { batches, deliver } = recorder();
  const exporter = new BatchingSpanExporter('t', deliver, { scheduledDelayMs: 60_000 });
  const query = Object.fromEntries(Array.from({ length: 14 }, (_, i) => [`http.query.p${i}`, 'x'.repeat(1_000)]));
  const spans = [...makeSpans(300, { tags: query }), makeSpan({ tags: { 'http.query.q': 'y'.repeat(3 * MAX_BATCH_BYTES) } }), ...makeSpans(5)];
  exporter.export(spans);
  await exporter.flush();
  expect(batches.flat().map((span) => span.spanId)).toEqual(spans.map((span) => span.spanId));
  const bytes = batches.map((batch) => JSON.stringify(batch).length);
  const giant = batches.findIndex((batch) => batch.some((span) => span === spans[300]));
  expect(batches[giant]).toEqual([spans[300]!]);
  for (const [i, size] of bytes.entries()) if (i !== giant) expect(size).toBeLessThanOrEqual(1.1 * MAX_BATCH_BYTES);
  // 300 spans of ~14.5 kB: about 4.3 MB in batches of ~1 MB, not one of 512.
  expect(batches.length).toBeGreaterThanOrEqual(6);
});

test('the byte cut counts encoded bytes: tags of CJK text make batches of about 1 MiB, not 3', async () => {
  // Each CJK character is one UTF-16 unit and three bytes of UTF-8: counted by length, a batch came to ~3 MiB.
  const { batches, deliver } = recorder();
  const exporter = new BatchingSpanExporter('t', deliver, { scheduledDelayMs: 60_000 });
  const query = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`http.query.p${i}`, '検索語'.repeat(300)]));
  const spans = makeSpans(400, { tags: query });
  exporter.export(spans);
  await exporter.flush();
  expect(batches.flat()).toHaveLength(400);
  const bytes = batches.map((batch) => Buffer.byteLength(JSON.stringify(batch)));
  for (const size of bytes) expect(size).toBeLessThanOrEqual(1.1 * MAX_BATCH_BYTES);
  // 400 spans of ~27 kB encoded: over 10 MiB, so more than ten batches.
  expect(batches.length).toBeGreaterThan(10);
});

// For the exit's line on spans given up (abandon()): their cause is the backend's last refusal, if it still refuses.
test('lastFailure names the last failed delivery until one succeeds; combined, every exporter\'s', async () => {
  const answers: DeliveryResult[] = [{ ok: false, reason: 'HTTP 500 from http://c/v1/traces: broke' }, { ok: true }];
  const failing = new BatchingSpanExporter('a', async () => answers.shift()!, { log: () => {} });
  const refused = new BatchingSpanExporter('b', async () => ({ ok: false, reason: 'TypeError: ECONNREFUSED' }), { log: () => {} });
  const both = combineSpanExporters([failing, refused]);
  expect(both.lastFailure).toBeUndefined();
  both.export(makeSpans(1));
  await both.flush();
  expect(failing.lastFailure).toBe('HTTP 500 from http://c/v1/traces: broke');
  expect(both.lastFailure).toBe('HTTP 500 from http://c/v1/traces: broke; TypeError: ECONNREFUSED');
  both.export(makeSpans(1));
  await both.flush();
  expect(failing.lastFailure).toBeUndefined();
  expect(both.lastFailure).toBe('TypeError: ECONNREFUSED');
});
