// Strings of a batch as the edge stores them: a lone surrogate in a route reads back as one route
// (U+FFFD) from the rollups, the samples and the traces alike, and span tags named like
// Object.prototype's keys are kept.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { LocalEdge } from '../../scripts/local-edge.ts';
import { makeBatch } from '../support/batch.ts';
import { apiOk, ingestOk, startEdge, storedRecords } from './support/edge.ts';

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
});
