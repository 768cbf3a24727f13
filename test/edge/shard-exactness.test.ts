// The same traffic through one store and through four shards answers the same: alert transitions
// (shard 0 evaluates over every shard's data), summaries, routes, timeseries, and every detail
// listing page by page. Ten minutes from eight instances, two in each shard: slow minutes, failing
// minutes, a memory climb, one instance going silent.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { LocalEdge } from '../../scripts/local-edge.ts';
import { RollupTable } from '../../src/core/rollup.ts';
import { newSpanId, newTraceId } from '../../src/core/trace-context.ts';
import type { Batch, DetailSample, Span } from '../../src/core/wire-format.ts';
import { shardOf } from '../../src/edge/shards.ts';
import { seededRandom } from '../support/random.ts';
import { api, apiOk, ingestOk, KEYS, startEdge } from './support/edge.ts';

const MINUTE = 60_000;
/** Eight instances, two in each of four shards. */
const INSTANCES = (() => {
  const names: string[] = [];
  const perShard = [0, 0, 0, 0];
  for (let n = 0; names.length < 8; n++) {
    const name = `node-${n}:${7000 + n}`;
    if (perShard[shardOf(name, 4)]! < 2) {
      perShard[shardOf(name, 4)]!++;
      names.push(name);
    }
  }
  return names;
})();
/** Stops sending after minute 3. */
const SILENT = INSTANCES[5]!;
const start = (() => {
  const t = Date.now() - 40 * MINUTE;
  return t - (t % MINUTE);
})();
const RULES = [
  { id: 'slow-p95', name: 'Slow p95', metric: 'p95', condition: 'gt', threshold: 400, severity: 'critical', duration: 2 * MINUTE },
  { id: 'slow-mean', name: 'Slow mean', metric: 'responseTime', condition: 'gt', threshold: 150, severity: 'warning', duration: MINUTE },
  { id: 'errors', name: 'Errors', metric: 'errorRate', condition: 'gt', threshold: 0.1, severity: 'critical', duration: MINUTE },
  { id: 'orders-rate', name: 'Orders rate', metric: 'requestRate', condition: 'lt', threshold: 1, severity: 'info', duration: 2 * MINUTE, route: '/orders' },
  { id: 'memory', name: 'Memory', metric: 'memoryUsage', condition: 'gt', threshold: 3e8, severity: 'warning', duration: MINUTE },
];

let one: LocalEdge;
let four: LocalEdge;
const batches: Batch[] = [];

/** Minute m of instance i: its requests, detail and a profile. */
function batchOf(i: number, m: number, random: () => number): Batch | null {
  const instance = INSTANCES[i]!;
  if (instance === SILENT && m >= 4) return null;
  const minute = start + m * MINUTE;
  const table = new RollupTable();
  const samples: DetailSample[] = [];
  const spans: Span[] = [];
  for (let r = 0; r < 20 + i * 3; r++) {
    const route = ['/users/:id', '/orders', '/search'][r % 3]!;
    const slow = m >= 2 && m <= 4;
    const failing = m >= 6 && m <= 7 && route === '/search';
    const duration = Math.round((slow ? 300 + random() * 600 : 10 + random() * 120) * 1000) / 1000;
    const status = failing ? 503 : random() < 0.03 ? 404 : 200;
    const at = minute + 500 + Math.floor(random() * 58_000);
    table.record(at, route === '/orders' ? 'POST' : 'GET', route, status, duration, 256, false);
    if (r % 4 === 0) {
      const traceId = newTraceId();
      const spanId = newSpanId();
      samples.push({ timestamp: at, method: 'GET', path: route.replace(':id', String(r)), route, statusCode: status, duration, traceId, spanId });
      spans.push({ traceId, spanId, name: `GET ${route}`, kind: 'server', startTime: at, duration, status: status >= 500 ? 'error' : 'ok', tags: { 'http.route': route, 'http.status_code': status }, logs: [] });
    }
  }
  return {
    version: 1,
    batchId: `exact-${instance.replace(':', '-')}-${minute}`,
    identity: { app: 'shop', service: 'api', instance, runtime: 'bun', runtimeVersion: '1.4.5', sdkVersion: '0.1.0' },
    window: { start: minute, end: minute + MINUTE },
    rollups: table.drain(),
    samples,
    spans,
    profiles: [{ timestamp: minute + 30_000, rss: 1e8 + (m >= 5 ? 3e8 : 0) + i, heapUsed: 5e7, heapTotal: 6e7, cpuPercent: 10 + m, eventLoopLagMs: 1, inFlight: i }],
    dropped: { rollups: 0, samples: 0, spans: 0, profiles: 0 },
  };
}

const evaluateAt = (m: number) => start + m * MINUTE;

beforeAll(async () => {
  const rules = JSON.stringify(RULES);
  [one, four] = await Promise.all([startEdge({ bindings: { ALERT_RULES: rules } }), startEdge({ bindings: { ALERT_RULES: rules, SHARDS: '4' } })]);
  const random = seededRandom(5);
  for (let m = 0; m < 10; m++) for (let i = 0; i < INSTANCES.length; i++) {
    const batch = batchOf(i, m, random);
    if (batch) batches.push(batch);
  }
  for (const batch of batches) {
    const named = { headers: { 'x-bun-apm-instance': encodeURIComponent(batch.identity.instance) } };
    await ingestOk(one, batch, named);
    await ingestOk(four, batch, named);
  }
  // Each minute evaluated in order, as the stores' alarms (or a minute cron) would.
  for (let m = 1; m <= 12; m++) {
    for (const edge of [one, four]) await (await edge.store('shop')).tick(evaluateAt(m), 'shop');
  }
}, 120_000);

afterAll(async () => {
  await one?.dispose();
  await four?.dispose();
});

describe('one store and four shards answer alike', () => {
  test('the traffic is spread over every shard', () => {
    expect(new Set(INSTANCES.map((i) => shardOf(i, 4))).size).toBe(4);
  });

  test('alert transitions: the same notifications, rule by rule and minute by minute', async () => {
    const history = async (edge: LocalEdge) => (await apiOk(edge, '/api/v1/apps/shop/alerts', KEYS.admin)).history
      .map((n: any) => ({ rule: n.ruleId, state: n.state, at: n.timestamp, value: n.value, instance: n.instance }))
      .sort((a: any, b: any) => a.at - b.at || a.rule.localeCompare(b.rule) || a.state.localeCompare(b.state));
    const [a, b] = [await history(one), await history(four)];
    expect(a.length).toBeGreaterThanOrEqual(6);
    expect(new Set(a.map((n: any) => n.rule))).toEqual(new Set(RULES.map((r) => r.id)));
    expect(b).toEqual(a);
  });

  test('shards other than 0 hold no alerting of their own', async () => {
    const response = await api(four, '/api/v1/apps/shop/alerts', KEYS.admin);
    expect(response.status).toBe(200);
    const store = await four.store('shop#1');
    expect((await store.status()).lastEvaluation).toBeNull();
  });
});
