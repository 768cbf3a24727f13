// Alert evaluation at the edge: 200 rules over 24 h of minute rollups for 100 routes, evaluated by
// the AppStore's tick inside workerd (the local Workers runtime). Prints ms per tick — the tick
// RPC's time minus a trivial RPC's, measured side by side — against the Workers free plan's 10 ms
// CPU per invocation. workerd freezes clocks inside a request, so the time is taken outside; it
// includes the SQLite reads, which count as CPU on Cloudflare too. Run: bun bench/edge-alerts.ts
import { benchRules } from './support/alert-rules.ts';
import { QuantileSketch } from '../src/core/sketch.ts';
import type { Batch, RollupCell } from '../src/core/wire-format.ts';
import { startLocalEdge } from '../scripts/local-edge.ts';
import { seededRandom } from '../test/support/random.ts';

const WORKERS_FREE_CPU_MS = 10;
const MIN = 60_000;
const ROUTES = 100;
const INSTANCES = 10;
const TICKS = 20;
const KEY = 'bench-ingest-0123456789abcdef';
const random = seededRandom(2026);
const END = Date.now() - (Date.now() % MIN) - TICKS * MIN;
const START = END - 24 * 60 * MIN;

// --- 200 rules: the shared set, with 10 more per-route rules in place of bench/alerts.ts's custom rules (JSON cannot carry code).
const rules = benchRules({ routeRules: 130, routes: ROUTES, instances: INSTANCES });

// --- 24 h of minute cells (and the last 2 h of profiles: no rule reads further back), in batches within the wire limits.
// Values reach scale·e^2.5 ≈ 12.2·scale: each cell's durationMax covers them (ingest checks the sketch against it).
function sketchOf(n: number, scale: number): string {
  const s = new QuantileSketch();
  for (let i = 0; i < n; i++) s.add(scale * Math.exp(random() * 2.5));
  return s.toBase64();
}
const cells: RollupCell[] = [];
for (let minute = START; minute < END + TICKS * MIN; minute += MIN) {
  for (let r = 0; r < ROUTES; r++) {
    const route = `/api/resource-${r}/:id`;
    const scale = 5 + (r % 10) * 10;
    const count = 20 + Math.floor(random() * 40);
    cells.push({ minute, method: 'GET', route, statusClass: '2xx', count, errors: 0, durationSum: count * scale * 4, durationMin: scale, durationMax: scale * 13, bytes: count * 500, sketch: sketchOf(count, scale) });
    if (r < 30) cells.push({ minute, method: 'POST', route, statusClass: '5xx', count: 3, errors: 3, durationSum: 3 * scale * 8, durationMin: scale, durationMax: scale * 25, bytes: 1500, sketch: sketchOf(3, scale * 2) });
  }
}
const batches: Batch[] = [];
let n = 0;
const identity = (instance: string) => ({ app: 'shop', service: 'api', instance, runtime: 'bun', runtimeVersion: '1.4.5', sdkVersion: '0.1.0' });
for (let i = 0; i < cells.length; i += 5000) {
  const part = cells.slice(i, i + 5000);
  batches.push({ version: 1, batchId: `bench-cells-${String(++n).padStart(8, "0")}`, identity: identity('web-0'), window: { start: part[0]!.minute, end: part.at(-1)!.minute + MIN }, rollups: part, samples: [], spans: [], profiles: [], dropped: { rollups: 0, samples: 0, spans: 0, profiles: 0 } } as Batch);
}
for (let instance = 0; instance < INSTANCES; instance++) {
  const profiles = [];
  for (let t = END + TICKS * MIN - 120 * MIN; t < END + TICKS * MIN; t += 10_000) profiles.push({ timestamp: t, rss: Math.floor(3e8 + random() * 1e8), heapUsed: 5e7, heapTotal: 6e7, cpuPercent: random() * 80, eventLoopLagMs: random() * 20, inFlight: 1 });
  for (let i = 0; i < profiles.length; i += 1000) {
    const part = profiles.slice(i, i + 1000);
    batches.push({ version: 1, batchId: `bench-profiles-${String(++n).padStart(8, "0")}`, identity: identity(`web-${instance}`), window: { start: part[0]!.timestamp, end: part.at(-1)!.timestamp + 1 }, rollups: [], samples: [], spans: [], profiles: part, dropped: { rollups: 0, samples: 0, spans: 0, profiles: 0 } } as Batch);
  }
}

const edge = await startLocalEdge({ bindings: { INGEST_KEYS: `shop:${KEY}`, API_KEYS: `shop:bench-read-0123456789`, ALERT_RULES: JSON.stringify({ shop: rules }) } });
try {
  const ingestStart = performance.now();
  for (const batch of batches) {
    const response = await fetch(new URL('/v1/ingest', edge.url), { method: 'POST', keepalive: false, headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(batch) });
    if (response.status !== 202) throw new Error(`ingest answered ${response.status}: ${await response.text()}`);
  }
  console.log(`data: ${cells.length} minute cells (24 h × ${ROUTES} routes), ${batches.length} batches ingested in ${((performance.now() - ingestStart) / 1000).toFixed(1)} s; rules: ${rules.length}`);

  const store = await edge.store('shop');
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const baseline: number[] = [];
  const ticks: number[] = [];
  let notifications = 0;
  // Interleaved: a trivial RPC (the round trip), then the tick of the next minute.
  for (let tick = 0; tick < TICKS; tick++) {
    let t0 = performance.now();
    await store.instances();
    baseline.push(performance.now() - t0);
    t0 = performance.now();
    const report = await store.tick(END + tick * MIN, 'shop');
    ticks.push(performance.now() - t0);
    notifications += report.notifications;
  }
  const rpc = median(baseline);
  const cold = ticks[0]! - rpc;
  const warm = median(ticks.slice(1)) - rpc;
  console.log(`round trip of a trivial RPC: median ${rpc.toFixed(2)} ms (subtracted below); ${notifications} notifications over ${TICKS} ticks`);
  console.log(`tick, cold (first after start: every sketch in the windows decoded): ${cold.toFixed(1)} ms → ${(cold / WORKERS_FREE_CPU_MS).toFixed(2)}× the ${WORKERS_FREE_CPU_MS} ms free-plan limit`);
  console.log(`tick, warm (SketchCache kept in the object): median ${warm.toFixed(1)} ms → ${(warm / WORKERS_FREE_CPU_MS).toFixed(2)}× the ${WORKERS_FREE_CPU_MS} ms free-plan limit (${warm <= WORKERS_FREE_CPU_MS ? 'within' : 'OVER'})`);
} finally {
  await edge.dispose();
}
