// What the store tests share: a store as the AppStore wires it (guards, retention, a pending log),
// and batches built from plain request lists, so each test can work out the expected rows itself.
import type { Database } from 'bun:sqlite';
import { RollupTable, TEN_SECONDS_MS, type LiveCell } from '../../../src/core/rollup.ts';
import { QuantileSketch } from '../../../src/core/sketch.ts';
import { validateBatch } from '../../../src/core/validate-batch.ts';
import type { Batch, DetailSample, Span } from '../../../src/core/wire-format.ts';
import { ingestBatch, type IngestTarget } from '../../../src/edge/store/ingest-batch.ts';
import { InstanceGuard } from '../../../src/edge/store/instance-guard.ts';
import { PendingLog } from '../../../src/edge/store/pending-log.ts';
import { RouteGuard } from '../../../src/edge/store/route-guard.ts';
import type { Sql } from '../../../src/edge/store/sql.ts';
import { seededRandom } from '../../support/random.ts';
import { freshStore } from '../support/bun-sql.ts';

export const MIN = 60_000;
export const HOUR = 3_600_000;
/** A whole hour, so minutes and hours of the tests line up with the store's. */
export const T0 = Date.UTC(2026, 10, 28, 8, 0, 0);

export interface Request {
  time: number;
  method: string;
  route: string;
  status: number;
  ms: number;
  bytes: number;
}

/** A store over a fresh database, or over `over`'s (as after a restart: guards and log read back from it). */
export function store(options: { routeCap?: number; instanceCap?: number; log?: boolean; over?: { db: Database; sql: Sql } } = {}) {
  const { db, sql } = options.over ?? freshStore();
  const routes = new RouteGuard(sql, options.routeCap ?? 100);
  const instances = new InstanceGuard(sql, options.instanceCap ?? 100);
  const log = options.log === false ? undefined : new PendingLog(sql);
  const target: IngestTarget = {
    sql, routes, instances, log,
    minuteRetentionMs: 48 * HOUR, tenSecondRetentionMs: 3 * HOUR, tenSecondRoutes: false, batchIdsKeptMs: 2 * 86_400_000,
  };
  return { db, sql, routes, instances, log, target, ingest: (batch: Batch, now: number) => ingestBatch(target, batch, now) };
}

let counter = 0;

/** A batch of one instance holding `requests` as 10-second cells (and optional detail). */
export function batchOf(requests: readonly Request[], options: { instance?: string; start?: number; samples?: DetailSample[]; spans?: Span[]; batchId?: string } = {}): Batch {
  const table = new RollupTable(TEN_SECONDS_MS);
  for (const r of requests) table.record(r.time, r.method, r.route, r.status, r.ms, r.bytes);
  const times = requests.map((r) => r.time);
  const start = options.start ?? (times.length ? Math.min(...times) : T0);
  const batch: Batch = {
    version: 1,
    batchId: options.batchId ?? `store-test-${String(++counter).padStart(8, '0')}`,
    identity: { app: 'shop', service: 'api', instance: options.instance ?? 'host-a:1', runtime: 'bun', runtimeVersion: '1.4.5', sdkVersion: '0.1.0' },
    window: { start, end: (times.length ? Math.max(...times) : start) + 1 },
    rollups: table.drain(),
    samples: options.samples ?? [],
    spans: options.spans ?? [],
    profiles: [],
    dropped: { rollups: 0, samples: 0, spans: 0, profiles: 0 },
  };
  // The store takes batches the Worker validated: the tests' batches pass the same checks.
  const checked = validateBatch(batch, { maxProblems: 1 });
  if (!checked.ok) throw new Error(`test batch invalid: ${JSON.stringify(checked.problems)}`);
  return batch;
}

/** A cell's totals, as the store's rows hold them. */
export type Totals = Pick<LiveCell, 'count' | 'errors' | 'durationSum' | 'durationMin' | 'durationMax' | 'bytes'>;

/** Requests summed per key, as the test expects the store's rows to be (computed here, not by the store). */
export function sumsBy(requests: readonly Request[], keyOf: (r: Request) => string): Map<string, Totals> {
  const sums = new Map<string, Totals>();
  for (const r of requests) {
    const key = keyOf(r);
    const s = sums.get(key) ?? { count: 0, errors: 0, durationSum: 0, durationMin: Infinity, durationMax: -Infinity, bytes: 0 };
    s.count++;
    if (r.status >= 500) s.errors++;
    s.durationSum += r.ms;
    s.durationMin = Math.min(s.durationMin, r.ms);
    s.durationMax = Math.max(s.durationMax, r.ms);
    s.bytes += r.bytes;
    sums.set(key, s);
  }
  return sums;
}

export const statusClass = (status: number) => `${Math.floor(status / 100)}xx`;

/** A rollup table's rows as the same map: key from (time, method, route, status class). */
export function storedRows(sql: Sql, table: 'rollup_10s' | 'rollup_minute' | 'rollup_hour'): Map<string, Totals & { sketchCount: number }> {
  const rows = new Map<string, Totals & { sketchCount: number }>();
  for (const r of sql.exec<{ time: number; method: string; route: string; status_class: string; count: number; errors: number; duration_sum: number; duration_min: number; duration_max: number; bytes: number; sketch: ArrayBuffer }>(
    `SELECT time, method, route, status_class, count, errors, duration_sum, duration_min, duration_max, bytes, sketch FROM ${table}`,
  )) {
    rows.set(`${r.time} ${r.method} ${r.route} ${r.status_class}`, {
      count: r.count, errors: r.errors, durationSum: r.duration_sum, durationMin: r.duration_min, durationMax: r.duration_max, bytes: r.bytes,
      sketchCount: sketchCount(r.sketch),
    });
  }
  return rows;
}

const sketchCount = (blob: ArrayBuffer) => QuantileSketch.fromBytes(new Uint8Array(blob)).count;

/** Expected rows with the sketch count each row's sketch must carry (its request count). */
export function withSketchCounts(sums: Map<string, Totals>): Map<string, Totals & { sketchCount: number }> {
  return new Map([...sums].map(([key, s]) => [key, { ...s, sketchCount: s.count }]));
}

/** `count` requests between `from` and `from + spanMs`, over a few routes, methods and statuses; durations in quarter ms (exact sums). */
export function requests(seed: number, count: number, from: number, spanMs: number, routes = ['/users/:id', '/orders', '/health']): Request[] {
  const next = seededRandom(seed);
  const statuses = [200, 200, 200, 201, 304, 404, 500, 503];
  return Array.from({ length: count }, () => ({
    time: from + Math.floor(next() * spanMs),
    method: next() < 0.7 ? 'GET' : 'POST',
    route: routes[Math.floor(next() * routes.length)]!,
    status: statuses[Math.floor(next() * statuses.length)]!,
    ms: Math.floor(next() * 4000) / 4,
    bytes: Math.floor(next() * 2000),
  }));
}

/** A request as the detail sample a client would send of it. */
export function sampleOf(r: Request, path = r.route.replace(':id', '42')): DetailSample {
  return { timestamp: r.time, method: r.method, path, route: r.route, statusCode: r.status, duration: r.ms };
}
