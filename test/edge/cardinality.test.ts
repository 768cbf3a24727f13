// The per-app caps on routes and instances: past them, data is counted under `other`, visibly, and
// the caps hold across restarts. 100,000 distinct routes sent in valid batches stay bounded.
import { afterAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalEdge } from '../../scripts/local-edge.ts';
import { RollupTable } from '../../src/core/rollup.ts';
import { batchTime, makeBatch } from '../support/batch.ts';
import { apiOk, ingestOk, startEdge } from './support/edge.ts';

const stateDir = mkdtempSync(join(tmpdir(), 'bun-apm-cardinality-'));
const edges: LocalEdge[] = [];
const CAPS = { ROUTE_CAP: '50', INSTANCE_CAP: '3' };

afterAll(async () => {
  for (const edge of edges) await edge.dispose();
  rmSync(stateDir, { recursive: true, force: true });
});

async function start(bindings: Record<string, string>, persistDir?: string): Promise<LocalEdge> {
  const edge = await startEdge({ bindings, ...(persistDir && { persistDir }) });
  edges.push(edge);
  return edge;
}

/** A batch whose cells cover routes /r/<first>…/r/<first+count−1>, one request each. */
function batchOfRoutes(first: number, count: number, instance = 'host-1:1'): any {
  const now = batchTime();
  const table = new RollupTable();
  for (let i = first; i < first + count; i++) table.record(now, 'GET', `/r/${i}`, 200, 10 + (i % 7), 10);
  const batch = makeBatch(now);
  // One sample on the last route; no spans, so the counts below are the cells' and the sample's.
  return { ...batch, identity: { ...batch.identity, instance }, rollups: table.drain(), samples: [{ ...batch.samples[0]!, route: `/r/${first + count - 1}` }], spans: [] };
}

describe('cardinality guard', () => {
  let edge: LocalEdge;

  test('routes past the cap go to a visible `other` bucket, with a warning', async () => {
    edge = await start(CAPS, stateDir);
    const answer = await ingestOk(edge, batchOfRoutes(0, 60));
    expect(answer.overflow).toEqual({ routes: 11, instance: false });
    expect(answer.warnings).toEqual(['11 records counted under route "other": this app is at its cap of 50 routes']);
    const { routes } = await apiOk(edge, '/api/v1/apps/shop/routes?limit=10000');
    expect(routes).toHaveLength(51);
    const other = routes.find((r: any) => r.route === 'other');
    expect(other).toMatchObject({ requests: 10, overflow: true });
    expect(routes.filter((r: any) => r.overflow)).toHaveLength(1);
    const samples = await apiOk(edge, '/api/v1/apps/shop/samples?route=other');
    expect(samples.items).toHaveLength(1);
    expect(samples.items[0].path).toBe('/users/42');
    expect((await apiOk(edge, '/api/v1/apps/shop/summary')).requests).toBe(60);
  });

  test('instances past the cap are counted as `other`', async () => {
    for (const instance of ['i-1', 'i-2', 'i-3', 'i-4', 'i-5']) {
      const answer = await ingestOk(edge, batchOfRoutes(0, 1, instance));
      expect(answer.overflow.instance).toBe(instance === 'i-3' || instance === 'i-4' || instance === 'i-5');
    }
    const { instances } = await apiOk(edge, '/api/v1/apps/shop/instances');
    expect(instances.map((i: any) => i.instance).sort()).toEqual(['host-1:1', 'i-1', 'i-2', 'other']);
    expect(instances.find((i: any) => i.instance === 'other').batches).toBe(3);
  });

  test('the caps hold after a restart on the same state', async () => {
    await edge.dispose();
    edges.splice(edges.indexOf(edge), 1);
    edge = await start(CAPS, stateDir);
    const answer = await ingestOk(edge, batchOfRoutes(40, 20));
    expect(answer.overflow.routes).toBe(11);
    expect((await apiOk(edge, '/api/v1/apps/shop/status')).routes).toEqual({ count: 50, cap: 50 });
  });

  test('100,000 distinct routes in valid batches: the first 1,000 kept, the rest counted in `other`', async () => {
    const big = await start({});
    let overflowed = 0;
    for (let first = 0; first < 100_000; first += 5_000) overflowed += (await ingestOk(big, { ...batchOfRoutes(first, 5_000), batchId: `many-routes-${first}-${Date.now()}` })).overflow.routes;
    // 99,000 cells and the sample of each of the 20 batches.
    expect(overflowed).toBe(99_000 + 20);
    const { routes } = await apiOk(big, '/api/v1/apps/shop/routes?limit=10000');
    expect(routes).toHaveLength(1_001);
    expect(routes[0]).toMatchObject({ route: 'other', requests: 99_000, overflow: true });
    expect((await apiOk(big, '/api/v1/apps/shop/summary')).requests).toBe(100_000);
  }, 60_000);
});
