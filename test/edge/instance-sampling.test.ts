// How each instance samples (`identity.sampling`): stored per instance as it last said, returned by
// the instances API and the export; clients that don't say are accepted and shown as null.
import { afterAll, describe, expect, test } from 'bun:test';
import type { LocalEdge } from '../../scripts/local-edge.ts';
import type { SamplingPolicy } from '../../src/core/wire-format.ts';
import { makeBatch } from '../support/batch.ts';
import { apiOk, exportAll, ingest, ingestOk, startEdge } from './support/edge.ts';

const DASHBOARD_KEY = 'dash-key-0123456789abcdef';
const edges: LocalEdge[] = [];
afterAll(async () => {
  for (const edge of edges) await edge.dispose();
});

function batchFrom(instance: string, sampling?: unknown, parentTraces?: unknown): any {
  const batch = makeBatch(Date.now());
  const dropped = parentTraces === undefined ? batch.dropped : { ...batch.dropped, parentTraces };
  return { ...batch, identity: { ...batch.identity, instance, ...(sampling === undefined ? {} : { sampling }) }, dropped };
}

describe('instance sampling', () => {
  test('stored as the instance last said it, in the API and the export; absent is null; malformed is refused', async () => {
    const edge = await startEdge({ bindings: { DASHBOARD_API_KEY: DASHBOARD_KEY } });
    edges.push(edge);
    const adaptive: SamplingPolicy = { samplesPerSecond: 10, tracesPerSecond: 1, parentTracesPerSecond: 10, routeFairness: true };
    const fixed: SamplingPolicy = { sampleRate: 0.25, tracesPerSecond: 2, parentTracesPerSecond: 10 };
    await ingestOk(edge, batchFrom('web-1:1', adaptive));
    await ingestOk(edge, batchFrom('web-2:1', adaptive));
    await ingestOk(edge, batchFrom('web-2:1', fixed)); // restarted with a fixed rate
    await ingestOk(edge, batchFrom('old-1:1'));
    const bad = await ingest(edge, batchFrom('web-3:1', { sampleRate: 3 }));
    expect(bad.status).toBe(422);
    expect(await bad.text()).toContain('identity.sampling.sampleRate');

    const { instances } = await apiOk(edge, '/api/v1/apps/shop/instances');
    const byName = Object.fromEntries(instances.map((i: any) => [i.instance, i.sampling]));
    expect(byName).toEqual({ 'web-1:1': adaptive, 'web-2:1': fixed, 'old-1:1': null });
    const exported = (await exportAll(edge)).filter((line) => line.type === 'instance');
    expect(Object.fromEntries(exported.map((i) => [i.instance, i.sampling]))).toEqual(byName);

    // The dashboard says it under the routes table, instances that sample alike on one line.
    const page = await (await fetch(new URL('/performance?app=shop&range=1h', edge.url), { headers: { 'x-api-key': DASHBOARD_KEY } })).text();
    const note = /<section class="panel sampling"[^>]*>([\s\S]*?)<\/section>/.exec(page)?.[1] ?? '';
    const items = [...note.matchAll(/<li>([^<]*)<\/li>/g)].map((m) => m[1]!.replaceAll('&#39;', "'").replaceAll('&#x27;', "'"));
    expect(items.sort()).toEqual([
      "detail 0.25 of requests, traces ≤ 2/s, callers' traces ≤ 10/s — web-2:1",
      "detail ≤ 10/s (fair across routes), traces ≤ 1/s, callers' traces ≤ 10/s — web-1:1",
    ]);
  }, 60_000);

  test("callers' sampled traces passed on unsampled: taken only as said, summed per instance, in the API, the export and the note", async () => {
    const edge = await startEdge({ bindings: { DASHBOARD_API_KEY: DASHBOARD_KEY } });
    edges.push(edge);
    const adaptive: SamplingPolicy = { samplesPerSecond: 10, tracesPerSecond: 1, parentTracesPerSecond: 10, routeFairness: true };
    // The answer says the edge takes the count, so clients know they may send it.
    const first = await ingest(edge, batchFrom('web-1:1', adaptive, 7));
    expect(first.status).toBe(202);
    expect((await first.json()).accepts).toContain('dropped.parentTraces');
    await ingestOk(edge, batchFrom('web-1:1', adaptive, 5));
    await ingestOk(edge, batchFrom('web-2:1', adaptive, 30));
    await ingestOk(edge, batchFrom('web-3:1', adaptive)); // a client that does not send it
    for (const bad of [-1, 1.5, '3', 2 ** 60]) {
      const refused = await ingest(edge, batchFrom('web-4:1', adaptive, bad));
      expect(refused.status).toBe(422);
      expect(await refused.text()).toContain('dropped.parentTraces');
    }

    const { instances } = await apiOk(edge, '/api/v1/apps/shop/instances');
    const refusedBy = Object.fromEntries(instances.map((i: any) => [i.instance, i.dropped.parentTraces]));
    expect(refusedBy).toEqual({ 'web-1:1': 12, 'web-2:1': 30, 'web-3:1': 0 });
    const exported = (await exportAll(edge)).filter((line) => line.type === 'instance');
    expect(Object.fromEntries(exported.map((i) => [i.instance, i.dropped.parentTraces]))).toEqual(refusedBy);

    const page = await (await fetch(new URL('/performance?app=shop&range=1h', edge.url), { headers: { 'x-api-key': DASHBOARD_KEY } })).text();
    const note = /<section class="panel sampling"[^>]*>([\s\S]*?)<\/section>/.exec(page)?.[1] ?? '';
    const items = [...note.matchAll(/<li>([^<]*)<\/li>/g)].map((m) => m[1]!.replaceAll('&#39;', "'").replaceAll('&#x27;', "'"));
    expect(items).toEqual([
      "detail ≤ 10/s (fair across routes), traces ≤ 1/s, callers' traces ≤ 10/s — 3 instances; 42 callers' sampled traces passed on unsampled (past the cap) since first seen",
    ]);
  }, 60_000);
});
