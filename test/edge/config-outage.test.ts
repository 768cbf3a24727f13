// A bad var (ROUTE_CAP = "lots") is an outage the operator ends, not a refusal: ingest answers 503
// with a Retry-After and the setting's name, so the app's batch sender keeps what it could not send
// and delivers it once the edge runs with good vars (the same state folder, the same port). It had
// answered 500, which the sender takes as final: every request sent meanwhile was lost for good.
import { afterAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalEdge } from '../../scripts/local-edge.ts';
import { Batcher } from '../../src/plugin/runtime/batcher.ts';
import { createEdgeSender } from '../../src/plugin/runtime/edge-sender.ts';
import { processIdentity } from '../../src/plugin/runtime/identity.ts';
import { createLog } from '../../src/plugin/runtime/log.ts';
import { createOutageLog, QUIET_MS } from '../../src/plugin/runtime/outage-log.ts';
import { makeBatch } from '../support/batch.ts';
import { testRecorder } from '../plugin/support/recorder.ts';
import { api, apiOk, ingest, KEYS, startEdge } from './support/edge.ts';

const MESSAGE = 'routeCap (var ROUTE_CAP): expected a number from 1 to 100000 (rounded down), got "lots"';
const stateDir = mkdtempSync(join(tmpdir(), 'bun-apm-config-outage-'));
const againDir = mkdtempSync(join(tmpdir(), 'bun-apm-config-again-'));
const edges: LocalEdge[] = [];
const stops: Array<() => void> = [];

afterAll(async () => {
  for (const stop of stops) stop();
  for (const edge of edges) await edge.dispose();
  for (const dir of [stateDir, againDir]) rmSync(dir, { recursive: true, force: true });
});

describe('a misconfigured edge', () => {
  test('ingest and reads answer 503 config_error with a Retry-After, naming the setting', async () => {
    const edge = await startEdge({ bindings: { ROUTE_CAP: 'lots' } });
    edges.push(edge);
    const response = await ingest(edge, makeBatch(), { gzip: true });
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('60');
    expect(((await response.json()) as any).error).toEqual({ code: 'config_error', message: MESSAGE });
    const read = await fetch(new URL('/api/v1/apps/shop/summary', edge.url), { headers: { 'x-api-key': KEYS.shopRead } });
    expect(read.status).toBe(503);
    expect(read.headers.get('retry-after')).toBe('60');
    expect(((await read.json()) as any).error).toEqual({ code: 'config_error', message: MESSAGE });
  });

  test('the sender says so at the first answer, not after its attempts have waited out five Retry-Afters (a review heard nothing for ~5 minutes)', async () => {
    const edge = await startEdge({ bindings: { ROUTE_CAP: 'lots' } });
    edges.push(edge);
    const lines: string[] = [];
    const giveUp = new AbortController();
    const send = createEdgeSender({ endpoint: edge.url.origin, ingestKey: KEYS.shopIngest, sdkVersion: 'test' }, { maxAttempts: 5, signal: giveUp.signal }, createOutageLog(createLog(false, (line) => lines.push(line))));
    const { recorder } = testRecorder();
    const batcher = new Batcher({ recorder, identity: processIdentity('shop', 'api'), flushIntervalMs: 60_000, maxPendingBytes: 1 << 20, send, log: createLog(false, () => {}) });
    stops.push(() => batcher.stop());
    recorder.respond(recorder.begin(new Request('http://h/users/1'))!, new Response());
    const flushed = batcher.flush();
    const deadline = Date.now() + 10_000;
    while (lines.length === 0 && Date.now() < deadline) await Bun.sleep(50);
    giveUp.abort();
    await flushed;
    expect(lines).toEqual([expect.stringContaining("bun-apm: the edge's own settings are wrong, so it takes no data (HTTP 503 from")]);
    expect(lines[0]).toContain(MESSAGE.replaceAll('"', '\\"'));
    expect(lines[0]).toContain('the data is kept and sent once they are fixed');
  });

  test("the app's batch sender keeps the batch through the outage and delivers it once the var is fixed", async () => {
    const bad = await startEdge({ bindings: { ROUTE_CAP: 'lots' }, persistDir: stateDir });
    edges.push(bad);
    const { recorder } = testRecorder({ routeCap: 10_000 });
    const lines: string[] = [];
    // As the preload sends: the edge sender under the export retry policy (one attempt here: the
    // batcher's next flush is the retry the test drives).
    const batcher = new Batcher({
      recorder,
      identity: processIdentity('shop', 'api'),
      flushIntervalMs: 60_000,
      maxPendingBytes: 16 * 1024 * 1024,
      send: createEdgeSender({ endpoint: bad.url.origin, ingestKey: KEYS.shopIngest, sdkVersion: 'test' }, { maxAttempts: 1, timeoutMs: 10_000 }),
      log: createLog(false, (line) => lines.push(line)),
    });
    stops.push(() => batcher.stop());
    for (let i = 0; i < 55; i++) recorder.respond(recorder.begin(new Request(`http://h/users/${i}`))!, new Response());

    await batcher.flush();
    expect(batcher.delivered).toBe(0);
    expect(batcher.droppedTotal.requests).toBe(0);
    expect(batcher.pending.any).toBe(true);
    expect(lines.join('\n')).not.toContain('refused');
    expect(lines.join('\n')).toContain('ROUTE_CAP');
    // Said as an answer asking for a retry, not as a network failure.
    expect(lines.join('\n')).toContain('the edge cannot take data now (HTTP 503');
    expect(lines.join('\n')).not.toContain('unreachable');

    // The operator fixes the var: the same Worker state, on the same address, with good vars.
    const port = Number(bad.url.port);
    await bad.dispose();
    edges.splice(edges.indexOf(bad), 1);
    const good = await startEdge({ persistDir: stateDir, port });
    edges.push(good);
    await batcher.flush();
    expect(batcher.delivered).toBeGreaterThan(0);
    expect(batcher.pending.any).toBe(false);
    const summary = await apiOk(good, `/api/v1/apps/shop/summary?from=0&to=${Date.now() + 60_000}`);
    expect(summary.requests).toBe(55);
    const { requestsNotReceived } = await apiOk(good, '/api/v1/apps/shop/instances');
    expect(requestsNotReceived).toBe(0);
    expect((await api(good, '/api/v1/apps/shop/routes?from=0')).status).toBe(200);
  }, 60_000);

  test('each outage is said once, and its end: a var broken again by a later deploy is said again (a review heard only the first)', async () => {
    const lines: string[] = [];
    const log = createLog(false, (line) => lines.push(line));
    // Outages said apart by more than the quiet spell that keeps a flapping edge from flooding stderr.
    let clock = Date.now();
    const outage = createOutageLog(log, () => clock);
    let edge = await startEdge({ bindings: { ROUTE_CAP: 'lots' }, persistDir: againDir });
    edges.push(edge);
    const port = Number(edge.url.port);
    const { recorder } = testRecorder({ routeCap: 10_000 });
    const batcher = new Batcher({
      recorder,
      identity: processIdentity('shop', 'again'),
      flushIntervalMs: 60_000,
      maxPendingBytes: 16 * 1024 * 1024,
      send: createEdgeSender({ endpoint: edge.url.origin, ingestKey: KEYS.shopIngest, sdkVersion: 'test' }, { maxAttempts: 1, timeoutMs: 10_000 }, outage),
      log,
      outage,
    });
    stops.push(() => batcher.stop());
    /** The edge restarted on the same port and state with `bindings`; then one request and a flush. */
    const restartAndFlush = async (bindings: Record<string, string>) => {
      await edge.dispose();
      edges.splice(edges.indexOf(edge), 1);
      edge = await startEdge({ bindings, persistDir: againDir, port });
      edges.push(edge);
      recorder.respond(recorder.begin(new Request('http://h/users/1'))!, new Response());
      await batcher.flush();
    };
    recorder.respond(recorder.begin(new Request('http://h/users/1'))!, new Response());
    await batcher.flush();
    await batcher.flush(); // the same outage: said once
    const settings = (text: string) => lines.filter((line) => line.includes("the edge's own settings are wrong")).filter((line) => line.includes(text)).length;
    const cannot = () => lines.filter((line) => line.includes('the edge cannot take data now')).length;
    const again = () => lines.filter((line) => line.includes('the edge takes data again')).length;
    // One outage, one line: the sender heard it first, the batcher's "cannot take data" is the same outage.
    expect([settings('ROUTE_CAP'), cannot(), again()]).toEqual([1, 0, 0]);

    await restartAndFlush({});
    expect(batcher.pending.any).toBe(false);
    expect([settings('ROUTE_CAP'), cannot(), again()]).toEqual([1, 0, 1]);

    clock += QUIET_MS;
    await restartAndFlush({ PLAN: 'pro' });
    expect([settings('PLAN'), cannot(), again()]).toEqual([1, 0, 1]);
    await restartAndFlush({});
    expect([settings('PLAN'), cannot(), again()]).toEqual([1, 0, 2]);
    const summary = await apiOk(edge, `/api/v1/apps/shop/summary?from=0&to=${Date.now() + 60_000}`);
    expect(summary.requests).toBe(4);
  }, 90_000);

  test('an edge that refuses every other batch (a rollout half done) is one outage and its end, not a line a flush (a review counted 12 in 28 s)', async () => {
    let calls = 0;
    const flapping = Bun.serve({
      hostname: '127.0.0.1',
      port: 0,
      fetch: () => (calls++ % 2 === 0
        ? Response.json({ error: { code: 'config_error', message: 'plan (var PLAN): expected free or paid, got "pro"' } }, { status: 503, headers: { 'retry-after': '0' } })
        : Response.json({ ok: true })),
    });
    stops.push(() => flapping.stop(true));
    const lines: string[] = [];
    const log = createLog(false, (line) => lines.push(line));
    const outage = createOutageLog(log);
    const { recorder } = testRecorder();
    const batcher = new Batcher({
      recorder,
      identity: processIdentity('shop', 'flapping'),
      flushIntervalMs: 60_000,
      maxPendingBytes: 1 << 20,
      send: createEdgeSender({ endpoint: `http://127.0.0.1:${flapping.port}`, ingestKey: KEYS.shopIngest, sdkVersion: 'test' }, { maxAttempts: 1, timeoutMs: 5_000 }, outage),
      log,
      outage,
    });
    stops.push(() => batcher.stop());
    for (let i = 0; i < 12; i++) {
      recorder.respond(recorder.begin(new Request(`http://h/users/${i}`))!, new Response());
      await batcher.flush();
    }
    expect(calls).toBeGreaterThanOrEqual(12);
    expect(lines).toEqual([expect.stringContaining("the edge's own settings are wrong"), expect.stringContaining('the edge takes data again')]);
  });
});
