// Totals read from many stored rows stay at most MAX_TOTAL (core/value-bounds.ts), and exact below
// it: three valid batches of 5,000 minute cells of 2^40 requests each (the per-cell maximum) add up
// past Number.MAX_SAFE_INTEGER. The summary, the route table and the timeseries had said 16492674416640000
// requests: past it, and not even the true sum (…001). Every figure is checked against min(true sum, MAX_TOTAL) in BigInt,
// with one shard (the store's own answer) and with two (cells merged across shards).
import { afterAll, describe, expect, test } from 'bun:test';
import type { LocalEdge } from '../../scripts/local-edge.ts';
import { QuantileSketch } from '../../src/core/sketch.ts';
import { MAX_CELL_COUNT, MAX_TOTAL } from '../../src/core/value-bounds.ts';
import type { Batch, RollupCell, StatusClass } from '../../src/core/wire-format.ts';
import { apiOk, ingestOk, startEdge } from './support/edge.ts';

const MINUTE = 60_000;
const CELLS = 5_000;
const COUNT = MAX_CELL_COUNT;
const BIG_MAX = BigInt(MAX_TOTAL);
const saturated = (sum: bigint): number => Number(sum > BIG_MAX ? BIG_MAX : sum);

const edges: LocalEdge[] = [];
afterAll(async () => {
  for (const edge of edges) await edge.dispose();
});

function cell(minute: number, route: string, statusClass: StatusClass, count: number): RollupCell {
  const sketch = new QuantileSketch();
  sketch.add(5, count);
  return {
    minute, method: 'GET', route, statusClass, count, errors: statusClass === '5xx' ? count : 0,
    durationSum: 5 * count, durationMin: 5, durationMax: 5, bytes: count, sketch: sketch.toBase64(),
  };
}

let batches = 0;
function batch(rollups: RollupCell[], start: number, end: number): Batch {
  return {
    version: 1,
    batchId: `read-totals-${String(++batches).padStart(4, '0')}-${end}`,
    identity: { app: 'shop', service: 'api', instance: 'host-1:1', runtime: 'bun', runtimeVersion: '1.4.5', sdkVersion: '0.1.0' },
    window: { start, end },
    rollups, samples: [], spans: [], profiles: [],
    dropped: { rollups: 0, samples: 0, spans: 0, profiles: 0 },
  };
}

describe.each([1, 2])('totals past MAX_SAFE_INTEGER, %i shard(s)', (shards) => {
  // A whole minute in the past; the cells reach 5,000 minutes back (within the 7 days a batch may be old).
  const last = Math.floor((Date.now() - 2 * MINUTE) / MINUTE) * MINUTE;
  const first = last - (CELLS - 1) * MINUTE;
  const minutes = Array.from({ length: CELLS }, (_, i) => last - i * MINUTE);
  const sent: RollupCell[] = [];
  let edge: LocalEdge;

  test('batches whose sum passes 2^53 − 1 are all taken', async () => {
    edge = await startEdge({ bindings: { SHARDS: String(shards) } });
    edges.push(edge);
    for (const statusClass of ['5xx', '5xx', '4xx'] as const) {
      const rollups = minutes.map((minute) => cell(minute, '/big', statusClass, COUNT));
      await ingestOk(edge, batch(rollups, first, last + MINUTE), { gzip: true });
      sent.push(...rollups);
    }
    const one = cell(last, '/one', '2xx', 1);
    await ingestOk(edge, batch([one], last, last + MINUTE), { gzip: true });
    sent.push(one);
  }, 60_000);

  const sum = (cells: RollupCell[], value: (cell: RollupCell) => number) => cells.reduce((total, c) => total + BigInt(value(c)), 0n);
  const window = () => `from=0&to=${Date.now() + MINUTE}`;

  test('the summary: requests and errors saturate, client errors stay exact', async () => {
    const summary = await apiOk(edge, `/api/v1/apps/shop/summary?${window()}`);
    expect(summary.requests).toBe(saturated(sum(sent, (c) => c.count)));
    expect(summary.errors).toBe(saturated(sum(sent, (c) => c.errors)));
    expect(summary.clientErrors).toBe(saturated(sum(sent.filter((c) => c.statusClass === '4xx'), (c) => c.count)));
    expect(summary.clientErrors).toBeLessThan(MAX_TOTAL); // the exact case is checked too
    expect(summary.errorRate).toBeGreaterThan(0);
    expect(summary.errorRate).toBeLessThanOrEqual(1);
  });

  test('the route table: each route at most MAX_TOTAL, a small one exact', async () => {
    const { routes } = await apiOk(edge, `/api/v1/apps/shop/routes?${window()}`);
    for (const route of ['/big', '/one']) {
      const cells = sent.filter((c) => c.route === route);
      const row = routes.find((r: any) => r.route === route);
      expect(row).toMatchObject({
        requests: saturated(sum(cells, (c) => c.count)),
        errors: saturated(sum(cells, (c) => c.errors)),
        clientErrors: saturated(sum(cells.filter((c) => c.statusClass === '4xx'), (c) => c.count)),
      });
    }
    expect(routes[0].route).toBe('/big');
  });

  test('the timeseries: every count column of every bucket', async () => {
    const columns = ['requests', 'errors', 'clientErrors', 'bytes', '4xx', '5xx'] as const;
    // One week a bucket from a week before the first cell (aligned down to an hour): every cell falls
    // in the second bucket, whose sums pass MAX_TOTAL.
    const step = 7 * 24 * 60 * MINUTE;
    const series = await apiOk(edge, `/api/v1/apps/shop/timeseries?from=${first - step}&to=${Date.now() + MINUTE}&step=${step}&metric=${columns.join(',')}`);
    expect(series.step).toBe(step);
    let past = 0;
    series.t.forEach((start: number, i: number) => {
      const inBucket = sent.filter((c) => c.minute >= start && c.minute < start + step);
      const expected: Record<(typeof columns)[number], bigint> = {
        requests: sum(inBucket, (c) => c.count),
        errors: sum(inBucket, (c) => c.errors),
        clientErrors: sum(inBucket.filter((c) => c.statusClass === '4xx'), (c) => c.count),
        bytes: sum(inBucket, (c) => c.bytes),
        '4xx': sum(inBucket.filter((c) => c.statusClass === '4xx'), (c) => c.count),
        '5xx': sum(inBucket.filter((c) => c.statusClass === '5xx'), (c) => c.count),
      };
      for (const column of columns) expect([column, series[column][i]]).toEqual([column, inBucket.length === 0 ? null : saturated(expected[column])]);
      if (expected.requests > BIG_MAX) past++;
    });
    expect(past).toBe(1);
  });

  test('the instances: every count at most MAX_TOTAL, nothing reported lost', async () => {
    const { instances, requestsNotReceived } = await apiOk(edge, '/api/v1/apps/shop/instances');
    expect(requestsNotReceived).toBe(0);
    expect(instances).toHaveLength(1);
    expect(instances[0].reportedRequests).toBeLessThanOrEqual(MAX_TOTAL);
  });
});
