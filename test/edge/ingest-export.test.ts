// Ingest → export in the real Workers runtime: what the API answers agrees with the exact values
// computed here from the same generated requests (counts exact, percentiles within 1 %).
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { LocalEdge } from '../../scripts/local-edge.ts';
import { api, apiOk, exportAll, ingestOk, KEYS, startEdge } from './support/edge.ts';
import { expected, generateTraffic, withinOnePercent, type Traffic } from './support/traffic.ts';

const MINUTE = 60_000;
let edge: LocalEdge;
let traffic: Traffic;
// A window that ends on the last full minute, so the traffic lies in it and no later minute counts.
const end = Date.now() - (Date.now() % MINUTE);
const from = end - 30 * MINUTE;

beforeAll(async () => {
  edge = await startEdge();
  traffic = generateTraffic({ end, minutes: 30, perMinute: 200, seed: 42, gapMinute: 7 });
  // Half plain JSON, half gzip, as different senders would.
  for (const [i, batch] of traffic.batches.entries()) await ingestOk(edge, batch, { gzip: i % 2 === 0 });
});

afterAll(async () => {
  await edge?.dispose();
});

function expectLatency(latency: any, wanted: ReturnType<typeof expected>) {
  expect(latency.avg).toBeCloseTo(wanted.avg!, 6);
  expect(latency.max).toBe(wanted.max);
  for (const q of ['p50', 'p95', 'p99'] as const) {
    expect(withinOnePercent(latency[q], wanted[q]!), `${q}: ${latency[q]} vs exact ${wanted[q]}`).toBe(true);
  }
}

describe('ingest → export API agrees with the exact values', () => {
  test('summary: counts exact, percentiles within 1 %, Apdex exact', async () => {
    const summary = await apiOk(edge, `/api/v1/apps/shop/summary?from=${from}&to=${end}`);
    const wanted = expected(traffic.requests);
    expect(summary).toMatchObject({ app: 'shop', from, to: end, requests: wanted.requests, errors: wanted.errors, clientErrors: wanted.clientErrors, apdexThresholdMs: 500 });
    expect(wanted.errors).toBeGreaterThan(0);
    expect(wanted.clientErrors).toBeGreaterThan(0);
    expect(summary.errorRate).toBeCloseTo(wanted.errorRate!, 12);
    expect(summary.rps).toBeCloseTo(wanted.requests / 1800, 12);
    expectLatency(summary.latency, wanted);
    expect(summary.apdex).toBeCloseTo(wanted.apdex!, 12);
  });

  test('summary with another Apdex threshold and a route filter', async () => {
    const route = '/search';
    const summary = await apiOk(edge, `/api/v1/apps/shop/summary?from=${from}&to=${end}&apdexThreshold=100&route=${encodeURIComponent(route)}`);
    const mine = traffic.requests.filter((r) => r.route === route);
    // T = 100 was not kept clear of the generated durations: allow the requests within 1 % of T or 4T.
    const wanted = expected(mine, 100);
    const near = mine.filter((r) => Math.abs(r.duration - 100) <= 1 || Math.abs(r.duration - 400) <= 4).length;
    expect(summary.requests).toBe(mine.length);
    expect(Math.abs(summary.apdex - wanted.apdex!)).toBeLessThanOrEqual(near / mine.length + 1e-12);
    expectLatency(summary.latency, wanted);
  });

  test('routes: one row per method and route, exact counts, percentiles within 1 %', async () => {
    const body = await apiOk(edge, `/api/v1/apps/shop/routes?from=${from}&to=${end}&sort=p95`);
    const keys = [...new Set(traffic.requests.map((r) => `${r.method} ${r.route}`))];
    expect(body.routes).toHaveLength(keys.length);
    for (const row of body.routes) {
      const mine = traffic.requests.filter((r) => r.method === row.method && r.route === row.route);
      const wanted = expected(mine);
      expect(row.requests).toBe(wanted.requests);
      expect(row.errors).toBe(wanted.errors);
      expect(row.clientErrors).toBe(wanted.clientErrors);
      expect(row.errorRate).toBeCloseTo(wanted.errorRate!, 12);
      expect(row.apdex).toBeCloseTo(wanted.apdex!, 12);
      expect(row.overflow).toBe(false);
      expectLatency(row.latency, wanted);
    }
    const p95s = body.routes.map((r: any) => r.latency.p95);
    expect(p95s).toEqual([...p95s].sort((a: number, b: number) => b - a));
  });

  test('timeseries per minute: uPlot columns, exact counts, null for the minute without traffic', async () => {
    const body = await apiOk(edge, `/api/v1/apps/shop/timeseries?from=${from}&to=${end}&step=60000&metric=requests,errors,errorRate,p50,p95,p99`);
    expect(body).toMatchObject({ from, to: end, step: MINUTE, resolution: 'minute' });
    expect(body.t).toHaveLength(30);
    for (const column of ['requests', 'errors', 'errorRate', 'p50', 'p95', 'p99']) expect(body[column]).toHaveLength(30);
    body.t.forEach((t: number, i: number) => {
      expect(t).toBe(from + i * MINUTE);
      const mine = traffic.requests.filter((r) => r.time >= t && r.time < t + MINUTE);
      if (mine.length === 0) {
        expect(i).toBe(7);
        for (const column of ['requests', 'errors', 'errorRate', 'p50', 'p95', 'p99']) expect(body[column][i]).toBeNull();
        return;
      }
      const wanted = expected(mine);
      expect(body.requests[i]).toBe(wanted.requests);
      expect(body.errors[i]).toBe(wanted.errors);
      expect(body.errorRate[i]).toBeCloseTo(wanted.errorRate!, 12);
      for (const q of ['p50', 'p95', 'p99'] as const) expect(withinOnePercent(body[q][i], wanted[q]!)).toBe(true);
    });
  });

  test('timeseries in 5-minute steps and metric groups', async () => {
    const body = await apiOk(edge, `/api/v1/apps/shop/timeseries?from=${from}&to=${end}&step=300000&metric=latency,statusClasses`);
    expect(body.t).toHaveLength(6);
    expect(Object.keys(body)).toEqual(expect.arrayContaining(['avg', 'p50', 'p95', 'p99', 'max', '1xx', '2xx', '3xx', '4xx', '5xx']));
    body.t.forEach((t: number, i: number) => {
      const mine = traffic.requests.filter((r) => r.time >= t && r.time < t + 300_000);
      expect(body['5xx'][i]).toBe(mine.filter((r) => r.status >= 500).length);
      expect(body['4xx'][i]).toBe(mine.filter((r) => r.status >= 400 && r.status < 500).length);
      expect(body['2xx'][i]).toBe(mine.filter((r) => r.status < 300).length);
      expect(body.max[i]).toBe(expected(mine).max);
    });
  });

  test('samples: every one back through pagination, newest first, with filters', async () => {
    const seen: any[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await apiOk(edge, `/api/v1/apps/shop/samples?from=${from}&to=${end}&limit=37${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(traffic.samples.length);
    expect(seen.map((s) => s.traceId).sort()).toEqual(traffic.samples.map((s) => s.traceId).sort());
    const times = seen.map((s) => s.timestamp);
    expect(times).toEqual([...times].sort((a, b) => b - a));
    const errors = await apiOk(edge, `/api/v1/apps/shop/samples?from=${from}&to=${end}&status=5xx&route=${encodeURIComponent('/orders')}&limit=1000`);
    expect(errors.items.length).toBe(traffic.samples.filter((s) => s.statusCode >= 500 && s.route === '/orders').length);
    for (const item of errors.items) expect(item).toMatchObject({ route: '/orders', instance: expect.any(String) });
  });

  test('traces: recent and slowest with filters, and one trace with all its spans', async () => {
    const slowest = await apiOk(edge, `/api/v1/apps/shop/traces?from=${from}&to=${end}&sort=slowest&limit=5`);
    const roots = traffic.spans.filter((s) => s.parentSpanId === undefined).sort((a, b) => b.duration - a.duration);
    expect(slowest.items.map((t: any) => t.traceId)).toEqual(roots.slice(0, 5).map((s) => s.traceId));
    expect(slowest.items[0]).toMatchObject({ spanCount: 2, name: roots[0]!.name, route: roots[0]!.tags['http.route'] });
    const failing = await apiOk(edge, `/api/v1/apps/shop/traces?from=${from}&to=${end}&errors=true&limit=500`);
    expect(failing.items.length).toBe(roots.filter((s) => s.status === 'error').length);
    const slow = await apiOk(edge, `/api/v1/apps/shop/traces?from=${from}&to=${end}&minDuration=200&route=${encodeURIComponent('/search')}&limit=500`);
    expect(slow.items.length).toBe(roots.filter((s) => s.tags['http.route'] === '/search' && s.duration >= 200).length);
    const one = await apiOk(edge, `/api/v1/apps/shop/traces/${roots[0]!.traceId}`);
    expect(one.spans.map((s: any) => s.spanId).sort()).toEqual(traffic.spans.filter((s) => s.traceId === roots[0]!.traceId).map((s) => s.spanId).sort());
    expect((await api(edge, `/api/v1/apps/shop/traces/${'f'.repeat(32)}`)).status).toBe(404);
  });

  test('profiles, instances and status', async () => {
    const profiles = await apiOk(edge, `/api/v1/apps/shop/profiles?from=${from}&to=${end}&instance=host-a:1`);
    expect(profiles.items.length).toBe(traffic.batches.filter((b) => b.identity.instance === 'host-a:1').length);
    const instances = await apiOk(edge, '/api/v1/apps/shop/instances');
    expect(instances.instances.map((i: any) => i.instance).sort()).toEqual(['host-a:1', 'host-b:1', 'host-c:1']);
    expect(instances.instances.reduce((sum: number, i: any) => sum + i.batches, 0)).toBe(traffic.batches.length);
    const status = await apiOk(edge, '/api/v1/apps/shop/status');
    expect(status.rows).toMatchObject({ samples: traffic.samples.length, spans: traffic.spans.length, batches: traffic.batches.length });
    expect(status.routes).toEqual({ count: 4, cap: 1000 });
  });

  test('export.ndjson streams every record of the window between a header and a counted end', async () => {
    const lines = await exportAll(edge);
    expect(lines[0]).toMatchObject({ type: 'export', format: 1, app: 'shop', from: 0 });
    const count = (type: string) => lines.filter((l) => l.type === type).length;
    expect(lines.at(-1)).toEqual({ type: 'end', records: lines.length - 2 });
    expect(count('sample')).toBe(traffic.samples.length);
    expect(count('span')).toBe(traffic.spans.length);
    expect(count('profile')).toBe(traffic.batches.length);
    expect(count('instance')).toBe(3);
    // Every request is in a minute row, and in the app's 10-second rows as well (recent data): each sums to all.
    const rollups = lines.filter((l) => l.type === 'rollup' && l.resolution === 'minute');
    expect(rollups.reduce((sum, r) => sum + r.count, 0)).toBe(traffic.requests.length);
    const tenSeconds = lines.filter((l) => l.type === 'rollup' && l.resolution === '10s');
    expect(tenSeconds.reduce((sum, r) => sum + r.count, 0)).toBe(traffic.requests.length);
    expect(tenSeconds.every((r) => r.seconds === 10 && r.minute % 10_000 === 0)).toBe(true);
    // Cells of one minute and route sent by three instances are stored merged, once.
    const keys = rollups.map((r) => `${r.minute} ${r.method} ${r.route} ${r.statusClass}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(rollups.length).toBeLessThan(traffic.batches.reduce((sum, b) => sum + b.rollups.length, 0));
  });

  test('an export of a window not on cell boundaries holds the rows the summary counts: each table from its cell holding from', async () => {
    const at = from + 7 * MINUTE + 25_000;
    const until = at + 5 * MINUTE + 7_000;
    const response = await fetch(new URL(`/api/v1/apps/shop/export.ndjson?from=${at}&to=${until}`, edge.url), { headers: { 'x-api-key': KEYS.allRead } });
    const lines = (await response.text()).split('\n').filter((line) => line !== '').map((line) => JSON.parse(line));
    const sum = (resolution: string) => lines.filter((l) => l.type === 'rollup' && l.resolution === resolution).reduce((total, r) => total + r.count, 0);
    // Counted here from the requests themselves: those in the cells the window overlaps.
    const inCells = (unit: number) => traffic.requests.filter((r) => r.time >= at - (at % unit) && r.time < Math.ceil(until / unit) * unit).length;
    const tenSeconds = await apiOk(edge, `/api/v1/apps/shop/summary?from=${at}&to=${until}`);
    const minutes = await apiOk(edge, `/api/v1/apps/shop/summary?from=${at}&to=${until}&step=60000`);
    expect([tenSeconds.resolution, minutes.resolution]).toEqual(['10s', 'minute']);
    expect(lines[0]).toMatchObject({ type: 'export', from: at, to: until, rollupsFrom: { rollup_10s: tenSeconds.from, rollup_minute: minutes.from } });
    // Was: the rows starting before `from` left out (the 10-second rows short of the summary by their first cell).
    expect(sum('10s')).toBe(inCells(10_000));
    expect(sum('10s')).toBe(tenSeconds.requests);
    expect(sum('minute')).toBe(inCells(MINUTE));
    expect(sum('minute')).toBe(minutes.requests);
    // Detail records stay those timed inside the window.
    expect(lines.filter((l) => l.type === 'sample').length).toBe(traffic.samples.filter((sample) => sample.timestamp >= at && sample.timestamp < until).length);
  });

  test('an export of the window a summary answers with sums to its count, an hourly summary too (docs/api.md; a review compared raw windows)', async () => {
    const until = from + 12 * MINUTE + 7_000;
    // From the epoch: past minute retention, so whole hours, to the end of the hour holding `until`.
    const summary = await apiOk(edge, `/api/v1/apps/shop/summary?from=0&to=${until}`);
    expect(summary.resolution).toBe('hour');
    expect(summary.to).toBe(Math.ceil(until / 3_600_000) * 3_600_000);
    const response = await fetch(new URL(`/api/v1/apps/shop/export.ndjson?from=${summary.from}&to=${summary.to}`, edge.url), { headers: { 'x-api-key': KEYS.allRead } });
    const lines = (await response.text()).split('\n').filter((line) => line !== '').map((line) => JSON.parse(line));
    const minuteRows = lines.filter((l) => l.type === 'rollup' && l.resolution === 'minute');
    expect(minuteRows.reduce((total, r) => total + r.count, 0)).toBe(summary.requests);
    expect(summary.requests).toBe(traffic.requests.filter((r) => r.time < summary.to).length);
  });

  test('defaults: the last hour, and errors as JSON with the right status', async () => {
    const summary = await apiOk(edge, '/api/v1/apps/shop/summary', KEYS.allRead);
    expect(summary.to - summary.from).toBeGreaterThanOrEqual(3_600_000);
    expect(summary.requests).toBe(traffic.requests.filter((r) => r.time >= summary.from).length);
    const bad = await api(edge, `/api/v1/apps/shop/timeseries?metric=nope`);
    expect(bad.status).toBe(400);
    expect(bad.body.error).toEqual({ code: 'invalid_parameter', message: expect.stringMatching(/^metric: unknown metric "nope"/) });
    for (const query of ['from=abc', `from=${end}&to=${from}`, 'step=1000', 'step=15000', 'from=0&to=9999999999999&step=60000', 'sort=sideways']) {
      const answer = await api(edge, `/api/v1/apps/shop/routes?${query}`);
      expect(answer.status, query).toBe(400);
      expect(answer.body.error.code).toBe('invalid_parameter');
    }
    expect((await api(edge, '/api/v1/apps/shop/timeseries?metric=constructor')).status).toBe(400);
    expect((await api(edge, '/api/v1/apps/shop/samples?cursor=not-a-cursor')).status).toBe(400);
    expect((await api(edge, '/api/v1/nothing-here')).body.error.code).toBe('not_found');
  });
});
