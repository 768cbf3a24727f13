// The client learns the edge's caps from its answers (`limits`) and seals later batches within
// them; a batch the edge refuses as too large (413) is sent again in smaller ones rather than
// dropped. Against a scripted local sink, and against the real edge in workerd with a small
// MAX_BODY_BYTES, where every request counted must arrive.
import { afterAll, describe, expect, test } from 'bun:test';
import type { LocalEdge } from '../../scripts/local-edge.ts';
import type { Batch } from '../../src/core/wire-format.ts';
import { Batcher } from '../../src/plugin/runtime/batcher.ts';
import { answerOf, createEdgeSender } from '../../src/plugin/runtime/edge-sender.ts';
import { processIdentity } from '../../src/plugin/runtime/identity.ts';
import { createLog } from '../../src/plugin/runtime/log.ts';
import { apiOk, KEYS, startEdge } from '../edge/support/edge.ts';
import { testRecorder } from './support/recorder.ts';

const servers: Array<ReturnType<typeof Bun.serve>> = [];
let edge: LocalEdge | undefined;
afterAll(async () => {
  for (const server of servers) server.stop(true);
  await edge?.dispose();
});

function setup(endpoint: string, ingestKey: string, app = 'caps-test') {
  const { recorder } = testRecorder({ sampleRate: 1, routeCap: 10_000 });
  const batcher = new Batcher({
    recorder,
    identity: processIdentity(app, 'api'),
    flushIntervalMs: 60_000,
    maxPendingBytes: 16 * 1024 * 1024,
    send: createEdgeSender({ endpoint, ingestKey, sdkVersion: 'test' }, { maxAttempts: 1, timeoutMs: 5_000 }),
    log: createLog(false, () => {}),
  });
  const serve = (n: number, prefix: string) => {
    for (let i = 0; i < n; i++) recorder.respond(recorder.begin(new Request(`http://h/${prefix}-${i % 40}/x`))!, new Response());
  };
  return { batcher, serve };
}

function decode(bytes: ArrayBuffer): Batch {
  return JSON.parse(new TextDecoder().decode(Bun.gunzipSync(new Uint8Array(bytes)))) as Batch;
}

const requestsIn = (batch: Batch) => batch.rollups.reduce((sum, cell) => sum + cell.count, 0);

describe('caps from the edge', () => {
  test('an answer\'s limits bound every later batch; nothing is lost', async () => {
    const batches: Array<{ batch: Batch; bytes: number }> = [];
    const sink = Bun.serve({
      hostname: '127.0.0.1', port: 0,
      async fetch(request) {
        const body = await request.arrayBuffer();
        batches.push({ batch: decode(body), bytes: body.byteLength });
        return Response.json({ status: 'accepted', limits: { maxRollups: 7, maxSamples: 10, maxSpans: 10, maxProfiles: 3, maxBodyBytes: 1_500, extra: 'ignored' } }, { status: 202 });
      },
    });
    servers.push(sink);
    const { batcher, serve } = setup(`http://127.0.0.1:${sink.port}`, 'k');
    serve(5, 'warm');
    await batcher.flush();
    expect(batcher.pending.caps).toEqual({ maxRollups: 7, maxSamples: 10, maxSpans: 10, maxProfiles: 3, maxBodyBytes: 1_500, maxDecompressedBytes: Number.POSITIVE_INFINITY });
    const first = batches.length;
    serve(200, 'route');
    for (let i = 0; i < 3; i++) batcher.addProfile({ timestamp: Date.now(), rss: 1, heapUsed: 1, heapTotal: 1, cpuPercent: 1, eventLoopLagMs: 1, inFlight: 0 });
    await batcher.flush();
    const later = batches.slice(first);
    expect(later.length).toBeGreaterThan(10);
    for (const { batch, bytes } of later) {
      expect(batch.rollups.length).toBeLessThanOrEqual(7);
      expect(batch.samples.length).toBeLessThanOrEqual(10);
      expect(batch.profiles.length).toBeLessThanOrEqual(3);
      expect(bytes).toBeLessThanOrEqual(1_500);
    }
    expect(batches.reduce((sum, { batch }) => sum + requestsIn(batch), 0)).toBe(205);
    expect(batches.reduce((sum, { batch }) => sum + batch.samples.length, 0)).toBe(205);
    expect(batches.reduce((sum, { batch }) => sum + batch.profiles.length, 0)).toBe(3);
  });

  test('an answer\'s maxDecompressedBytes bounds what every later batch inflates to; nothing is lost', async () => {
    const inflated: Array<{ batch: Batch; bytes: number }> = [];
    const sink = Bun.serve({
      hostname: '127.0.0.1', port: 0,
      async fetch(request) {
        const json = Bun.gunzipSync(new Uint8Array(await request.arrayBuffer()));
        inflated.push({ batch: JSON.parse(new TextDecoder().decode(json)) as Batch, bytes: json.byteLength });
        return Response.json({ status: 'accepted', limits: { maxDecompressedBytes: 4_000 } }, { status: 202 });
      },
    });
    servers.push(sink);
    const { batcher, serve } = setup(`http://127.0.0.1:${sink.port}`, 'k');
    serve(2, 'warm');
    await batcher.flush();
    expect(batcher.pending.caps.maxDecompressedBytes).toBe(4_000);
    const first = inflated.length;
    // Each sample carries a path of ~1 KB of non-ASCII (2 bytes a character): characters are not bytes.
    serve(150, `é${'ü'.repeat(500)}`);
    await batcher.flush();
    const later = inflated.slice(first);
    expect(later.length).toBeGreaterThan(20);
    for (const { bytes } of later) expect(bytes).toBeLessThanOrEqual(4_000);
    expect(inflated.reduce((sum, { batch }) => sum + requestsIn(batch), 0)).toBe(152);
    expect(inflated.reduce((sum, { batch }) => sum + batch.samples.length, 0)).toBe(152);
    expect(batcher.droppedTotal).toEqual({ rollups: 0, samples: 0, spans: 0, profiles: 0, requests: 0, parentTraces: 0 });
  });

  test('a 413 is not a loss: the batch goes again in halves until it fits', async () => {
    const accepted: Batch[] = [];
    let refusals = 0;
    const sink = Bun.serve({
      hostname: '127.0.0.1', port: 0,
      async fetch(request) {
        const body = await request.arrayBuffer();
        if (body.byteLength > 2_000) {
          refusals++;
          return Response.json({ error: { code: 'payload_too_large', message: 'over the cap' } }, { status: 413 });
        }
        accepted.push(decode(body));
        return Response.json({ status: 'accepted' }, { status: 202 });
      },
    });
    servers.push(sink);
    const { batcher, serve } = setup(`http://127.0.0.1:${sink.port}`, 'k');
    serve(300, 'big');
    await batcher.flush();
    expect(refusals).toBeGreaterThan(0);
    expect(batcher.droppedTotal).toEqual({ rollups: 0, samples: 0, spans: 0, profiles: 0, requests: 0, parentTraces: 0 });
    expect(accepted.reduce((sum, batch) => sum + requestsIn(batch), 0)).toBe(300);
    expect(accepted.reduce((sum, batch) => sum + batch.samples.length, 0)).toBe(300);
    expect(new Set(accepted.map((b) => b.batchId)).size).toBe(accepted.length);
  });

  test('against the edge with MAX_BODY_BYTES of 2 KiB: caps learnt, every request counted', async () => {
    edge = await startEdge({ bindings: { MAX_BODY_BYTES: '2048' } });
    const { batcher, serve } = setup(edge.url.href.replace(/\/$/, ''), KEYS.shopIngest, 'shop');
    serve(3, 'first');
    await batcher.flush();
    expect(batcher.pending.caps.maxBodyBytes).toBe(2_048);
    serve(400, 'route');
    await batcher.flush();
    expect(batcher.pending.any).toBe(false);
    expect(batcher.droppedTotal.requests).toBe(0);
    expect(batcher.droppedTotal.samples).toBe(0);
    const summary = await apiOk(edge, `/api/v1/apps/shop/summary?from=${Date.now() - 3_600_000}&to=${Date.now() + 60_000}`);
    expect(summary.requests).toBe(403);
  }, 60_000);

  test('against the edge with MAX_DECOMPRESSED_BYTES of 4 KiB: learnt, every batch inflates within it, every request counted', async () => {
    const small = await startEdge({ bindings: { MAX_BODY_BYTES: '2048', MAX_DECOMPRESSED_BYTES: '4096' } });
    try {
      const { batcher, serve } = setup(small.url.href.replace(/\/$/, ''), KEYS.shopIngest, 'shop');
      serve(3, 'first');
      await batcher.flush();
      expect(batcher.pending.caps.maxDecompressedBytes).toBe(4_096);
      serve(400, `long-${'p'.repeat(300)}`);
      await batcher.flush();
      expect(batcher.pending.any).toBe(false);
      expect(batcher.droppedTotal.requests).toBe(0);
      expect(batcher.droppedTotal.samples).toBe(0);
      const summary = await apiOk(small, `/api/v1/apps/shop/summary?from=${Date.now() - 3_600_000}&to=${Date.now() + 60_000}`);
      expect(summary.requests).toBe(403);
    } finally {
      await small.dispose();
    }
  }, 60_000);

  test('an answer\'s limits are read only from an object named limits', () => {
    const limitsOf = (body: string) => answerOf(body).limits;
    expect(limitsOf('{"limits":{"maxSamples":5}}')).toEqual({ maxSamples: 5 });
    expect(limitsOf('{"limits":[1]}')).toEqual({});
    expect(limitsOf('{"limits":null}')).toEqual({});
    expect(limitsOf('not json "limits"')).toEqual({});
    expect(limitsOf('')).toEqual({});
  });
});
