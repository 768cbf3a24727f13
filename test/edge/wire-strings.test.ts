// Strings of a batch as the edge stores them: a lone surrogate in a route reads back as one route
// (U+FFFD) from the rollups, the samples and the traces alike, and span tags named like
// Object.prototype's keys are kept. Names that would read otherwise than they hold (a line break, a
// bidirectional control) are stored with U+FFFD in their place; a made-up method is refused, as is
// nothing else of its batch stored; the routes API answers the busiest thousand unless asked for more.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { LocalEdge } from '../../scripts/local-edge.ts';
import { RollupTable } from '../../src/core/rollup.ts';
import { batchTime, makeBatch } from '../support/batch.ts';
import { apiOk, ingest, ingestOk, startEdge, storedRecords } from './support/edge.ts';

let edge: LocalEdge;
beforeAll(async () => {
  edge = await startEdge();
}, 60_000);
afterAll(async () => {
  await edge?.dispose();
});

describe('strings of a batch at the edge', () => {
  test('a route with a lone surrogate is one route in rollups, samples and traces; tag keys __proto__ and constructor kept', async () => {
    const batch: any = makeBatch();
    const route = '/s/\ud800';
    for (const cell of batch.rollups) cell.route = route;
    batch.samples[0].route = route;
    batch.spans[0].tags = { ...batch.spans[0].tags, 'http.route': route, ...JSON.parse('{"__proto__":"x","constructor":"y"}') };
    await ingestOk(edge, batch);

    const stored = '/s/\ufffd';
    const records = await storedRecords(edge);
    // (`*`: the app's all-routes rows.)
    const routes = new Set(records.filter((r) => (r.type === 'rollup' && r.route !== '*') || r.type === 'sample').map((r) => r.route));
    expect([...routes]).toEqual([stored]);
    const window = `from=0&to=${Date.now() + 60_000}`;
    const filter = `${window}&route=${encodeURIComponent(stored)}`;
    expect((await apiOk(edge, `/api/v1/apps/shop/samples?${filter}`)).items.length).toBe(1);
    const traces = (await apiOk(edge, `/api/v1/apps/shop/traces?${filter}`)).items;
    expect(traces.map((t: any) => t.route)).toEqual([stored]);
    const trace = await apiOk(edge, `/api/v1/apps/shop/traces/${batch.spans[0].traceId}`);
    const tags = trace.spans.find((s: any) => s.spanId === batch.spans[0].spanId).tags;
    expect(Object.entries(tags)).toEqual([['http.status_code', 200], ['http.route', stored], ['__proto__', 'x'], ['constructor', 'y']]);
  }, 60_000);

  test('control, bidirectional and zero-width characters in names become U+FFFD; an error keeps its line breaks', async () => {
    const batch: any = makeBatch();
    const route = '/rtl/\u202egnp.exe';
    const instance = 'web-1\r\nBcc: victim@evil.example \u202e';
    for (const cell of batch.rollups) cell.route = route;
    batch.identity.instance = instance;
    Object.assign(batch.samples[0], { route, path: '/rtl/\u200bx', userAgent: 'agent\u0007', error: 'line one\nline two \u2066' });
    batch.spans[0].name = 'GET \u202e/x';
    await ingestOk(edge, batch, { headers: { 'x-bun-apm-instance': encodeURIComponent(instance) } });

    const window = `from=0&to=${Date.now() + 60_000}`;
    const routes = (await apiOk(edge, `/api/v1/apps/shop/routes?${window}`)).routes.map((r: any) => r.route);
    expect(routes).toContain('/rtl/\ufffdgnp.exe');
    expect(routes.some((r: string) => r.includes('\u202e'))).toBe(false);
    const instances = (await apiOk(edge, "/api/v1/apps/shop/instances")).instances.map((i: any) => i.instance);
    expect(instances).toContain('web-1\ufffd\ufffdBcc: victim@evil.example \ufffd');
    const sample = (await apiOk(edge, `/api/v1/apps/shop/samples?${window}&route=${encodeURIComponent('/rtl/\ufffdgnp.exe')}`)).items[0];
    expect([sample.path, sample.userAgent, sample.error]).toEqual(['/rtl/\ufffdx', 'agent\ufffd', 'line one\nline two \ufffd']);
    const trace = await apiOk(edge, `/api/v1/apps/shop/traces/${batch.spans[0].traceId}`);
    expect(trace.spans.find((s: any) => s.spanId === batch.spans[0].spanId).name).toBe('GET \ufffd/x');
  }, 60_000);

  test('a method other than the standard ones is refused by name, and nothing of its batch is stored', async () => {
    const before = await storedRecords(edge);
    const batch: any = makeBatch();
    batch.rollups[0].method = 'PROPFIND';
    const response = await ingest(edge, batch);
    expect(response.status).toBe(422);
    const body: any = await response.json();
    expect(body.error.problems).toContainEqual({ path: 'rollups[0].method', message: 'expected one of GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS, CONNECT, TRACE, OTHER (any other method is sent as OTHER)' });
    expect(await storedRecords(edge)).toEqual(before);
  }, 60_000);

  test('the routes API answers the busiest 1,000 rows unless asked for more', async () => {
    const now = batchTime();
    const table = new RollupTable();
    // Route i counted i + 1 times: the busiest thousand are /many/100 … /many/1099.
    for (let i = 0; i < 1_100; i++) for (let n = 0; n <= i % 50; n++) table.record(now, 'GET', `/many/${i}`, 200, 5, 1);
    const batch = { ...makeBatch(now), rollups: table.drain(), samples: [], spans: [] };
    await ingestOk(edge, batch);
    const window = `from=0&to=${Date.now() + 60_000}`;
    const whole = await apiOk(edge, `/api/v1/apps/shop/routes?${window}&limit=10000`);
    const cut = await apiOk(edge, `/api/v1/apps/shop/routes?${window}`);
    const [all, byDefault] = [whole.routes, cut.routes];
    expect(all.length).toBeGreaterThan(1_000);
    // Said, so that a client knows it has not got them all.
    expect([whole.truncated, cut.truncated]).toEqual([false, true]);
    expect((await apiOk(edge, `/api/v1/apps/shop/routes?${window}&limit=${all.length}`)).truncated).toBe(false);
    expect((await apiOk(edge, `/api/v1/apps/shop/routes?${window}&limit=${all.length - 1}`)).truncated).toBe(true);
    // (Rates divide by the time up to now, which moves between the two reads.)
    const rows = (list: any[]) => list.map((r: any) => `${r.method} ${r.route} ${r.requests}`);
    expect(rows(byDefault)).toEqual(rows(all.slice(0, 1_000)));
  }, 60_000);

  test("a trace's duration in the list is its spans' own, to the digit (a difference of epoch times is off by up to ~0.2 µs)", async () => {
    const batch: any = makeBatch();
    const [server, child] = batch.spans;
    server.startTime += 0.000123;
    server.duration = 0.034;
    child.startTime = server.startTime + 0.0051;
    child.duration = 0.0173;
    await ingestOk(edge, { ...batch, samples: [] });
    const window = `from=0&to=${Date.now() + 60_000}`;
    const items = (await apiOk(edge, `/api/v1/apps/shop/traces?${window}&limit=500`)).items;
    expect(items.find((t: any) => t.traceId === server.traceId)?.duration).toBe(0.034);
  }, 60_000);
});
