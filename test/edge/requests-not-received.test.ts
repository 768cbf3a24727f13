// Requests an instance counted but could not deliver (`dropped.requests`): stored per instance,
// summed by the API, shown on the dashboard with the exact number and the instance's name escaped;
// clients older than the counter still accepted; a store created before the counter upgraded in place.
import { Database } from 'bun:sqlite';
import { afterAll, describe, expect, test } from 'bun:test';
import type { LocalEdge } from '../../scripts/local-edge.ts';
import { makeBatch } from '../support/batch.ts';
import { bunSql } from './support/bun-sql.ts';
import { api, apiOk, ingest, ingestOk, startEdge, storedRecords } from './support/edge.ts';

const DASHBOARD_KEY = 'dash-key-0123456789abcdef';
const edges: LocalEdge[] = [];
afterAll(async () => {
  for (const edge of edges) await edge.dispose();
});

function batchFrom(instance: string, dropped: Record<string, number>): any {
  const batch = makeBatch(Date.now());
  return { ...batch, identity: { ...batch.identity, instance }, dropped };
}

async function dashboard(edge: LocalEdge, range = '1h'): Promise<string> {
  const response = await fetch(new URL(`/performance?app=shop&range=${range}`, edge.url), { headers: { 'x-api-key': DASHBOARD_KEY } });
  expect(response.status).toBe(200);
  return response.text();
}

describe('requests not received', () => {
  test('summed per instance and for the app, shown exactly on the dashboard, the name escaped', async () => {
    const edge = await startEdge({ bindings: { DASHBOARD_API_KEY: DASHBOARD_KEY } });
    edges.push(edge);
    const hostile = '<img src=x onerror=alert(1)>:7';
    await ingestOk(edge, batchFrom('web-1:1', { rollups: 3, samples: 10, spans: 0, profiles: 0, requests: 4_000 }));
    await ingestOk(edge, batchFrom('web-1:1', { rollups: 1, samples: 0, spans: 2, profiles: 0, requests: 2_127 }));
    await ingestOk(edge, batchFrom(hostile, { rollups: 1, samples: 0, spans: 0, profiles: 0, requests: 1 }));
    // A client older than the counter: accepted, and counts as no request lost.
    await ingestOk(edge, batchFrom('old-1:1', { rollups: 2, samples: 0, spans: 0, profiles: 0 }));

    const { instances, requestsNotReceived } = await apiOk(edge, '/api/v1/apps/shop/instances');
    const byName = Object.fromEntries(instances.map((i: any) => [i.instance, i]));
    expect(byName['web-1:1'].dropped).toEqual({ rollups: 4, samples: 10, spans: 2, profiles: 0, requests: 6_127, parentTraces: 0 });
    expect(byName['web-1:1'].requestsLostAt).toBeGreaterThan(0);
    expect(byName['old-1:1'].dropped.requests).toBe(0);
    expect(byName['old-1:1'].requestsLostAt).toBeNull();
    expect(requestsNotReceived).toBe(6_128);

    const html = await dashboard(edge);
    expect(html).toContain('6,127 requests not received from instance web-1:1');
    expect(html).toContain('1 request not received from instance &lt;img');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('from instance old-1:1');
  }, 60_000);

  test('a counter that is not a count is refused, naming the field, and changes nothing', async () => {
    const edge = await startEdge();
    edges.push(edge);
    for (const requests of [-1, 1.5, '7', 2 ** 60]) {
      const response = await ingest(edge, batchFrom('web-2:1', { rollups: 0, samples: 0, spans: 0, profiles: 0, requests: requests as number }));
      expect(response.status).toBe(422);
      expect(await response.text()).toContain('dropped.requests');
    }
    expect((await api(edge, '/api/v1/apps/shop/instances')).body.instances ?? []).toEqual([]);
  }, 60_000);

  test('counters saturate at 2^53 − 1: per instance, in the export, and summed for the app', async () => {
    const edge = await startEdge();
    edges.push(edge);
    const max = Number.MAX_SAFE_INTEGER;
    const all = { rollups: max, samples: max, spans: max, profiles: max, requests: max, parentTraces: max };
    for (let i = 0; i < 3; i++) await ingestOk(edge, batchFrom('web-3:1', all));
    await ingestOk(edge, batchFrom('web-4:1', { rollups: 0, samples: 0, spans: 0, profiles: 0, requests: 5 }));
    const { instances, requestsNotReceived } = await apiOk(edge, '/api/v1/apps/shop/instances');
    expect(instances.find((i: any) => i.instance === 'web-3:1').dropped).toEqual(all);
    expect(requestsNotReceived).toBe(max);
    const exported = (await storedRecords(edge)).find((r) => r.type === 'instance' && r.instance === 'web-3:1');
    expect(exported.dropped).toEqual(all);
  }, 60_000);

  test('the guard saturates within one fold of batches and across folds', async () => {
    const store = '../../src/edge/store';
    const { migrate } = await import(`${store}/migrations.ts`);
    const { InstanceGuard, instanceUpdates, listInstances } = await import(`${store}/instance-guard.ts`);
    const sql = bunSql(new Database(':memory:'));
    migrate(sql);
    const guard = new InstanceGuard(sql, 10);
    const identity = { ...makeBatch().identity, instance: 'web-5:1' };
    const max = Number.MAX_SAFE_INTEGER;
    const all = { rollups: max, samples: max, spans: max, profiles: max, requests: max, parentTraces: max };
    const batch = (receivedAt: number) => ({ instance: 'web-5:1', receivedAt, batch: { identity, dropped: all, window: { start: receivedAt - 500, end: receivedAt }, rollups: [] } });
    for (const update of instanceUpdates([batch(1_000), batch(2_000), batch(3_000)])) guard.store(update);
    expect(listInstances(sql)[0].dropped).toEqual(all);
    for (const update of instanceUpdates([batch(4_000)])) guard.store(update);
    expect(listInstances(sql)[0].dropped).toEqual(all);
  });

  test('a store created before the counter gains it in place: old rows read as none lost, new reports add up', async () => {
    // Loaded by a computed path: the store's modules are type-checked against Workers types, which the Bun side does not have.
    const store = '../../src/edge/store';
    const { migrate, MIGRATIONS } = await import(`${store}/migrations.ts`);
    const { InstanceGuard, instanceUpdates, listInstances } = await import(`${store}/instance-guard.ts`);
    const db = new Database(':memory:');
    const sql = bunSql(db);
    migrate(sql, MIGRATIONS.slice(0, 3));
    db.run(`INSERT INTO instances VALUES ('old-1:1', 'api', 'bun', '1.4', '0.1', 1, 2, 5, 1, 2, 3, 4)`);
    expect(migrate(sql)).toBe(MIGRATIONS.length);
    const [old] = listInstances(sql);
    expect(old!.dropped).toEqual({ rollups: 1, samples: 2, spans: 3, profiles: 4, requests: 0, parentTraces: 0 });
    expect(old!.requestsLostAt).toBeNull();
    const guard = new InstanceGuard(sql, 10);
    const identity = makeBatch().identity;
    // Two folds, each of one batch.
    for (const [receivedAt, dropped] of [[1_000, { rollups: 1, samples: 0, spans: 0, profiles: 0, requests: 40 }], [2_000, { rollups: 0, samples: 0, spans: 0, profiles: 0 }]] as const) {
      for (const update of instanceUpdates([{ instance: 'old-1:1', receivedAt, batch: { identity: { ...identity, instance: 'old-1:1' }, dropped, window: { start: receivedAt - 500, end: receivedAt }, rollups: [] } }])) guard.store(update);
    }
    const [now] = listInstances(sql);
    expect(now!.dropped).toEqual({ rollups: 2, samples: 2, spans: 3, profiles: 4, requests: 40, parentTraces: 0 });
    expect(now!.requestsLostAt).toBe(1_000); // the report without a loss leaves the time of the last loss
  });
});
