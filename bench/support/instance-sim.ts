// Simulated instances of one app for bench/scale.ts: each sends what the preload would at the
// defaults — a batch every flush interval (10 s) while it has traffic, a heartbeat a minute when
// idle — with its own routes, request rate and phase, and jitter on every flush. A batch is built
// from the instance's template (10-second cells, as the preload cuts them, made once with the real
// RollupTable, so sketches and counts agree), moved to the current 10 seconds, with fresh ids: cheap
// enough that the sender is not what the run measures.
import { RollupTable, TEN_SECONDS_MS } from '../../src/core/rollup.ts';
import { newSpanId, newTraceId } from '../../src/core/trace-context.ts';
import type { Batch, DetailSample, Span, SystemProfile } from '../../src/core/wire-format.ts';
import { seededRandom } from '../../test/support/random.ts';

/** The client's defaults (README, preload configuration); FLUSH_MS, SAMPLES_PER_SECOND and TRACES_PER_SECOND in the environment change them. */
export const FLUSH_MS = Number(process.env.FLUSH_MS ?? 10_000);
export const HEARTBEAT_MS = Math.max(60_000, FLUSH_MS);
const SAMPLES_PER_SECOND = Number(process.env.SAMPLES_PER_SECOND ?? 10);
const TRACES_PER_SECOND = Number(process.env.TRACES_PER_SECOND ?? 1);
const PROFILE_MS = 5_000;
/** Route templates of the app; each instance serves a few of them. */
const ROUTE_POOL = 40;

export type InstanceKind = 'busy' | 'quiet' | 'idle';

export interface SimInstance {
  name: string;
  kind: InstanceKind;
  /** Requests per second. */
  rate: number;
  /** Wall time of its next send. */
  next: number;
  /** A batch of its is in flight: the client sends one at a time, a later flush waits. */
  busy: boolean;
  seq: number;
  /** One flush's worth, built once. */
  template: Pick<Batch, 'rollups' | 'samples' | 'spans' | 'profiles'>;
}

export interface Mix {
  /** Shares of busy (5–50 req/s), quiet (0.1–2 req/s) and idle (heartbeats only) instances. */
  busy: number;
  quiet: number;
}

export const DEFAULT_MIX: Mix = { busy: 0.6, quiet: 0.3 };

const random = seededRandom(17);
const between = (lo: number, hi: number) => lo * Math.exp(random() * Math.log(hi / lo));

/** `count` instances of `app`, phases spread over one interval from `start`. */
export function makeInstances(count: number, start: number, mix: Mix = DEFAULT_MIX): SimInstance[] {
  return Array.from({ length: count }, (_, i) => {
    const roll = random();
    const kind: InstanceKind = roll < mix.busy ? 'busy' : roll < mix.busy + mix.quiet ? 'quiet' : 'idle';
    const rate = kind === 'busy' ? between(5, 50) : kind === 'quiet' ? between(0.1, 2) : 0;
    const interval = kind === 'idle' ? HEARTBEAT_MS : FLUSH_MS;
    return { name: `sim-${String(i).padStart(5, '0')}:1`, kind, rate, next: start + random() * interval, busy: false, seq: 0, template: template(kind, rate) };
  });
}

/** One flush interval of an instance: cells of its routes, detail at the adaptive defaults, profiles. */
function template(kind: InstanceKind, rate: number): SimInstance['template'] {
  const seconds = kind === 'idle' ? HEARTBEAT_MS / 1000 : FLUSH_MS / 1000;
  const profiles: SystemProfile[] = Array.from({ length: (seconds * 1000) / PROFILE_MS }, (_, k) => ({
    timestamp: k * PROFILE_MS, rss: 80_000_000 + Math.floor(random() * 1e7), heapUsed: 30_000_000, heapTotal: 40_000_000, cpuPercent: random() * 50, eventLoopLagMs: random() * 3, inFlight: Math.floor(random() * 5),
  }));
  if (kind === 'idle') return { rollups: [], samples: [], spans: [], profiles };
  const routes = Array.from({ length: 3 + Math.floor(random() * 4) }, () => `/api/r${Math.floor(random() * ROUTE_POOL)}/:id`);
  const requests = Math.max(1, Math.round(rate * seconds));
  const table = new RollupTable(TEN_SECONDS_MS);
  const samples: DetailSample[] = [];
  const spans: Span[] = [];
  const sampleEvery = Math.max(1, requests / (SAMPLES_PER_SECOND * seconds));
  const traceEvery = Math.max(1, requests / (TRACES_PER_SECOND * seconds));
  for (let r = 0; r < requests; r++) {
    const route = routes[Math.floor(random() * routes.length)]!;
    const method = random() < 0.8 ? 'GET' : 'POST';
    const roll = random();
    const status = roll < 0.01 ? 500 : roll < 0.04 ? 404 : 200;
    const duration = Math.round(between(2, 400) * 1000) / 1000;
    const at = Math.floor((r / requests) * seconds * 1000);
    // One flush's requests land in the template's first 10 seconds; the sender moves them.
    table.record(at % TEN_SECONDS_MS, method, route, status, duration, 512, status === 500);
    if (SAMPLES_PER_SECOND > 0 && r % sampleEvery < 1) {
      samples.push({ timestamp: at, method, path: route.replace(':id', String(r)), route, statusCode: status, duration, userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0', responseSize: 512 });
    }
    if (TRACES_PER_SECOND > 0 && r % traceEvery < 1) {
      const traceId = '';
      spans.push(
        { traceId, spanId: '', name: `${method} ${route}`, kind: 'server', startTime: at, duration, status: status >= 500 ? 'error' : 'ok', tags: { 'http.route': route, 'http.method': method, 'http.status_code': status }, logs: [] },
        { traceId, spanId: '', parentSpanId: '', name: 'db.query', kind: 'internal', startTime: at + 1, duration: duration / 3, status: 'ok', tags: { 'db.table': 'orders' }, logs: [] },
        { traceId, spanId: '', parentSpanId: '', name: 'GET api.example.com', kind: 'client', startTime: at + 2, duration: duration / 2, status: 'ok', tags: { 'http.status_code': 200 }, logs: [] },
      );
    }
  }
  return { rollups: table.drain(), samples, spans, profiles };
}

/** The instance's next batch, for a flush at `now` (wall time), with fresh ids. */
export function nextBatch(app: string, instance: SimInstance, now: number): Batch {
  const base = now - (instance.kind === 'idle' ? HEARTBEAT_MS : FLUSH_MS);
  // The flush interval's 10-second cell (the preload may cut an interval in two; folded, the rows are
  // one per 10 seconds and key either way).
  const cellStart = base - (base % TEN_SECONDS_MS);
  const { rollups, samples, spans, profiles } = instance.template;
  // A trace's spans share an id; the next trace starts at each server span.
  let traceId = '';
  let root = '';
  const fresh = spans.map((span) => {
    if (span.kind === 'server') {
      traceId = newTraceId();
      root = newSpanId();
      return { ...span, traceId, spanId: root, startTime: base + span.startTime };
    }
    return { ...span, traceId, spanId: newSpanId(), parentSpanId: root, startTime: base + span.startTime };
  });
  instance.seq++;
  return {
    version: 1,
    batchId: `${instance.name.replace(':', '-')}-${String(instance.seq).padStart(8, '0')}-${now}`,
    identity: { app, service: 'api', instance: instance.name, runtime: 'bun', runtimeVersion: '1.4.5', sdkVersion: '0.1.0', sampling: { samplesPerSecond: SAMPLES_PER_SECOND, tracesPerSecond: TRACES_PER_SECOND } },
    window: { start: base, end: now },
    rollups: rollups.map((cell) => ({ ...cell, minute: cellStart })),
    samples: samples.map((s) => ({ ...s, timestamp: base + s.timestamp })),
    spans: fresh,
    profiles: profiles.map((p) => ({ ...p, timestamp: base + p.timestamp })),
    dropped: { rollups: 0, samples: 0, spans: 0, profiles: 0 },
  };
}

/** When the instance sends next after a send at `now`: its interval, with ±5 % jitter (timers drift, flushes run late). */
export function scheduleNext(instance: SimInstance, now: number): void {
  const interval = instance.kind === 'idle' ? HEARTBEAT_MS : FLUSH_MS;
  instance.next = now + interval * (0.95 + random() * 0.1);
}

export function eventsOf(batch: Batch): number {
  return batch.rollups.length + batch.samples.length + batch.spans.length + batch.profiles.length;
}
