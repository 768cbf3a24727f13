// Generated traffic for edge tests: requests recorded into batches the way the preload would,
// with the raw values kept so the test can compute the exact answers independently.
import { RollupTable } from '../../../src/core/rollup.ts';
import { newSpanId, newTraceId } from '../../../src/core/trace-context.ts';
import type { Batch, DetailSample, Span } from '../../../src/core/wire-format.ts';
import { exactQuantile, seededRandom } from '../../support/random.ts';

export interface RawRequest {
  time: number;
  method: string;
  route: string;
  status: number;
  duration: number;
  thrown: boolean;
  instance: string;
}

export interface Traffic {
  requests: RawRequest[];
  batches: Batch[];
  samples: DetailSample[];
  spans: Span[];
}

const ROUTES: Array<[string, string, number]> = [
  // method, route, typical duration (ms)
  ['GET', '/users/:id', 15],
  ['GET', '/search', 180],
  ['POST', '/orders', 90],
  ['GET', '/health', 1],
  ['DELETE', '/users/:id', 40],
];

let batchCounter = 0;

/**
 * `minutes` minutes of traffic ending before `end`, in 10-second cells (or minutes), from 3 instances each flushing every 2
 * minutes (so cells of one minute and route arrive in several batches and must merge). Minute
 * `gapMinute` (an index) gets no traffic. Durations avoid ±2 % around `apdexT` and 4·`apdexT`, where
 * the sketch's Apdex may legitimately differ from the exact one.
 */
export function generateTraffic(options: {
  end: number; minutes: number; perMinute: number; seed: number; gapMinute?: number; apdexT?: number; app?: string;
  /** Width of the cells sent: 10 s as the preload sends them (default), or 60 as clients before it did. */
  cellSeconds?: 10 | 60;
}): Traffic {
  const random = seededRandom(options.seed);
  const apdexT = options.apdexT ?? 500;
  const firstMinute = options.end - (options.end % 60_000) - options.minutes * 60_000;
  const instances = ['host-a:1', 'host-b:1', 'host-c:1'];
  const requests: RawRequest[] = [];
  for (let m = 0; m < options.minutes; m++) {
    if (m === options.gapMinute) continue;
    for (let i = 0; i < options.perMinute; i++) {
      const [method, route, typical] = ROUTES[Math.floor(random() * ROUTES.length)]!;
      let duration = Math.round(typical * Math.exp((random() - 0.3) * 3) * 1000) / 1000;
      for (const edge of [apdexT, 4 * apdexT]) {
        if (Math.abs(duration - edge) <= edge * 0.02) duration = edge * 1.05;
      }
      const roll = random();
      const status = roll < 0.04 ? 503 : roll < 0.1 ? 404 : roll < 0.12 ? 500 : 200;
      requests.push({
        time: firstMinute + m * 60_000 + Math.floor(random() * 59_000),
        method, route, status, duration,
        thrown: status === 500,
        instance: instances[Math.floor(random() * instances.length)]!,
      });
    }
  }
  const batches: Batch[] = [];
  const samples: DetailSample[] = [];
  const spans: Span[] = [];
  for (const instance of instances) {
    for (let m = 0; m < options.minutes; m += 2) {
      const start = firstMinute + m * 60_000;
      const mine = requests.filter((r) => r.instance === instance && r.time >= start && r.time < start + 120_000);
      if (mine.length === 0) continue;
      const table = new RollupTable((options.cellSeconds ?? 10) * 1000);
      const batchSamples: DetailSample[] = [];
      const batchSpans: Span[] = [];
      for (const [i, r] of mine.entries()) {
        table.record(r.time, r.method, r.route, r.status, r.duration, 100, r.thrown);
        if (i % 10 === 0) {
          const traceId = newTraceId();
          const spanId = newSpanId();
          const sample: DetailSample = { timestamp: r.time, method: r.method, path: r.route.replace(':id', String(i)), route: r.route, statusCode: r.status, duration: r.duration, traceId, spanId, userAgent: 'test-agent/1.0' };
          batchSamples.push(sample);
          batchSpans.push({ traceId, spanId, name: `${r.method} ${r.route}`, kind: 'server', startTime: r.time, duration: r.duration, status: r.status >= 500 ? 'error' : 'ok', tags: { 'http.route': r.route, 'http.method': r.method, 'http.status_code': r.status }, logs: [] });
          batchSpans.push({ traceId, spanId: newSpanId(), parentSpanId: spanId, name: 'db', kind: 'internal', startTime: r.time + 0.5, duration: r.duration / 2, status: 'ok', tags: {}, logs: [] });
        }
      }
      samples.push(...batchSamples);
      spans.push(...batchSpans);
      batches.push({
        version: 1,
        batchId: `traffic-${options.seed}-${String(++batchCounter).padStart(6, '0')}`,
        identity: { app: options.app ?? 'shop', service: 'api', instance, runtime: 'bun', runtimeVersion: '1.4.5', sdkVersion: '0.1.0' },
        window: { start, end: start + 120_000 },
        rollups: table.drain(),
        samples: batchSamples,
        spans: batchSpans,
        profiles: [{ timestamp: start + 60_000, rss: 1e8 + m, heapUsed: 5e7, heapTotal: 6e7, cpuPercent: 10 + m, eventLoopLagMs: 1, inFlight: 2 }],
        dropped: { rollups: 0, samples: 0, spans: 0, profiles: 0 },
      });
    }
  }
  return { requests, batches, samples, spans };
}

/** What the API must answer for these requests, computed from the raw values. */
export function expected(requests: RawRequest[], apdexT = 500) {
  const durations = Float64Array.from(requests.map((r) => r.duration)).sort();
  const errors = requests.filter((r) => r.status >= 500 || r.thrown).length;
  const ok = requests.filter((r) => !(r.status >= 500 || r.thrown));
  const satisfied = ok.filter((r) => r.duration <= apdexT).length;
  const tolerating = ok.filter((r) => r.duration > apdexT && r.duration <= 4 * apdexT).length;
  const n = requests.length;
  return {
    requests: n,
    errors,
    clientErrors: requests.filter((r) => r.status >= 400 && r.status < 500).length,
    errorRate: n ? errors / n : null,
    avg: n ? requests.reduce((sum, r) => sum + r.duration, 0) / n : null,
    max: n ? durations[n - 1]! : null,
    p50: n ? exactQuantile(durations, 0.5) : null,
    p95: n ? exactQuantile(durations, 0.95) : null,
    p99: n ? exactQuantile(durations, 0.99) : null,
    apdex: n ? (satisfied + tolerating / 2) / n : null,
  };
}

/** |actual − expected| ≤ 1 % of expected: the sketch's bound. */
export function withinOnePercent(actual: number, wanted: number): boolean {
  return Math.abs(actual - wanted) <= wanted * 0.01 + 1e-9;
}
