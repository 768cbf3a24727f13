// Alert evaluation cost: 200 rules over 24 h of minute rollups for 100 routes, CPU ms per tick,
// printed against the Workers free plan's 10 ms CPU per invocation. A tick reads only what the
// rules need (dataRequest, as the edge's indexed SQL queries would; whole rolled-up hours as hour
// cells, as the loader reads them from rollup_hour), builds the index (decoding the base64 sketches
// percentile rules touch) and evaluates every rule. Run: bun bench/alerts.ts (LONG=10, HOURS=0: below)
import { type AlertData, type AlertProfile, type AlertSample } from '../src/core/alerts/alert-data.ts';
import { AlertDataIndex, lowerBound } from '../src/core/alerts/alert-data-index.ts';
import { dataRequest } from '../src/core/alerts/alert-engine.ts';
import { evaluateRules } from '../src/core/alerts/evaluate-rules.ts';
import { SketchCache } from '../src/core/alerts/sketch-cache.ts';
import type { RuleState } from '../src/core/alerts/rule-state.ts';
import type { AlertRule } from '../src/core/alerts/rule.ts';
import { benchRules } from './support/alert-rules.ts';
import { QuantileSketch } from '../src/core/sketch.ts';
import type { RollupCell, StatusClass } from '../src/core/wire-format.ts';
import { seededRandom } from '../test/support/random.ts';

const WORKERS_FREE_CPU_MS = 10;
const MIN = 60_000;
const ROUTES = 100;
const INSTANCES = 10;
const TICKS = 30;
const random = seededRandom(2026);
const END = Date.UTC(2026, 10, 26, 0, 0, 0);
const START = END - 24 * 60 * MIN;

// --- 24 h of data, stored as the edge stores it: wire cells sorted by minute, profiles and samples by time.
function sketchOf(n: number, scale: number): string {
  const s = new QuantileSketch();
  for (let i = 0; i < n; i++) s.add(scale * Math.exp(random() * 2.5));
  return s.toBase64();
}
const cells: RollupCell[] = [];
const cell = (minute: number, method: string, route: string, statusClass: StatusClass, count: number, errors: number, scale: number): RollupCell => ({
  minute, method, route, statusClass, count, errors, durationSum: count * scale * 4, durationMin: scale, durationMax: scale * 12, bytes: count * 500,
  sketch: sketchOf(Math.min(count, 40), scale),
});
const buildStart = performance.now();
for (let minute = START; minute < END; minute += MIN) {
  for (let r = 0; r < ROUTES; r++) {
    const route = `/api/resource-${r}/:id`;
    const scale = 5 + (r % 10) * 10;
    cells.push(cell(minute, 'GET', route, '2xx', 20 + Math.floor(random() * 200), 0, scale));
    if (r < 30) cells.push(cell(minute, 'POST', route, '2xx', 5 + Math.floor(random() * 30), 0, scale * 2));
    if (random() < 0.3) cells.push(cell(minute, 'GET', route, '4xx', 1 + Math.floor(random() * 5), 0, scale / 2));
    if (random() < 0.1) { const n = 1 + Math.floor(random() * 5); cells.push(cell(minute, 'GET', route, '5xx', n, n, scale * 3)); }
  }
}
const profiles: AlertProfile[] = [];
for (let t = START; t < END; t += 10_000) {
  for (let i = 0; i < INSTANCES; i++) profiles.push({ timestamp: t, instance: `web-${i}`, rss: 3e8 + random() * 1e8, cpuPercent: random() * 80, eventLoopLagMs: random() * 20 });
}
const samples: AlertSample[] = [];
for (let t = START; t < END; t += 200) {
  const r = Math.floor(random() * ROUTES);
  samples.push({ timestamp: t, method: 'GET', path: `/api/resource-${r}/${t % 977}`, route: `/api/resource-${r}/:id`, statusCode: random() < 0.03 ? 404 : 200, responseTime: random() * 300, userAgent: random() < 0.2 ? 'Region=US-WEST' : 'curl/8' });
}
// Whole hours as the edge's loader hands them over (rollup_hour rows, one per hour and key): each
// hour's minute cells merged, in wire form, kept by hour with the minutes they stand for.
const HOUR = 60 * MIN;
const hourCells = new Map<number, RollupCell[]>();
const minutesByHour = new Map<number, RollupCell[]>();
for (const c of cells) {
  const hour = c.minute - (c.minute % HOUR);
  if (!minutesByHour.has(hour)) minutesByHour.set(hour, []);
  minutesByHour.get(hour)!.push(c);
}
for (const [hour, minutes] of minutesByHour) {
  const byKey = new Map<string, { cell: RollupCell; sketch: QuantileSketch }>();
  for (const c of minutes) {
    const key = `${c.method} ${c.statusClass} ${c.route}`;
    const sum = byKey.get(key);
    if (sum === undefined) byKey.set(key, { cell: { ...c, minute: hour }, sketch: QuantileSketch.fromBase64(c.sketch) });
    else {
      sum.cell = { ...sum.cell, count: sum.cell.count + c.count, errors: sum.cell.errors + c.errors, durationSum: sum.cell.durationSum + c.durationSum };
      sum.sketch.merge(QuantileSketch.fromBase64(c.sketch));
    }
  }
  hourCells.set(hour, [...byKey.values()].map(({ cell, sketch }) => ({ ...cell, sketch: sketch.toBase64() })));
}
const buildMs = performance.now() - buildStart;

/** The window's data as the loader gives it: whole hours rolled up (5 minutes' grace) as hour cells, the rest as minutes. */
function windowCells(since: number, now: number): Pick<AlertData, 'cells' | 'hours'> {
  const rolledUpTo = Math.min(now - (now % HOUR), (now - 5 * MIN) - ((now - 5 * MIN) % HOUR));
  const hours: number[] = [];
  for (let hour = Math.ceil(since / HOUR) * HOUR; hour + HOUR <= rolledUpTo; hour += HOUR) hours.push(hour);
  const minutes = (from: number, to: number) => cells.slice(lowerBound(cells, (c) => c.minute, from), lowerBound(cells, (c) => c.minute, to));
  if (hours.length === 0 || !HOURS) return { cells: minutes(since, now + 1) };
  return {
    cells: [...minutes(since, hours[0]!), ...minutes(hours.at(-1)! + HOUR, now + 1)],
    hours: { hours, cells: hours.flatMap((hour) => hourCells.get(hour) ?? []), minutesOf: (hour) => minutes(hour, hour + HOUR) },
  };
}

// --- 200 rules: the shared set (bench/support/alert-rules.ts) plus 10 custom rules.
const rules: AlertRule[] = benchRules({ routeRules: 120, routes: ROUTES, instances: INSTANCES });
for (let i = 0; i < 10; i++) {
  rules.push({
    id: `custom-${i}`, name: 'Regional latency', metric: 'custom', condition: 'gt', threshold: 0, duration: 5 * MIN, severity: 'warning',
    customEvaluator: (metrics) => {
      const regional = metrics.filter((m) => m.userAgent?.includes('Region=US-WEST'));
      return regional.length > 0 && regional.reduce((sum, m) => sum + m.responseTime, 0) / regional.length > 2000;
    },
  });
}

// LONG=n adds n p99 rules over a whole day, each on a route of its own: what day-long percentile
// windows cost a tick (every cell of the day is then read and indexed at each tick).
const LONG = Number(process.env.LONG ?? 0);
// HOURS=0 hands every minute over, as the loader did before it read whole hours from rollup_hour.
const HOURS = process.env.HOURS !== '0';
for (let i = 0; i < LONG; i++) {
  rules.push({ id: `day-${i}`, name: 'Daily p99', metric: 'p99', condition: 'gt', threshold: 1e6, duration: 24 * 60 * MIN, severity: 'info', route: `/api/resource-${i % ROUTES}/:id` });
}

// --- The ticks: the last TICKS minutes of the day, each as a cron invocation would run it.
const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

let sink = 0;
let cellsRead = 0;

/** Runs TICKS successive minutes; with a cache the ticks share decoded sketches, as a long-lived Durable Object can. */
function run(cache: SketchCache | undefined): { cpu: number[]; floor: number[]; notifications: number } {
  let states: Record<string, RuleState> = {};
  let notifications = 0;
  const cpu: number[] = [];
  const floor: number[] = [];
  for (let tick = 0; tick < TICKS; tick++) {
    const now = END - (TICKS - tick) * MIN + MIN;
    // As the edge's loader reads them (dataRequest): profiles from the gauge rules' windows, samples from the custom rules'.
    const { since, profilesSince, samplesSince } = dataRequest(rules, now);
    // Floor: reading the same window's cells and summing their counts, nothing else.
    const floorStart = cpuMs();
    for (let i = lowerBound(cells, (c) => c.minute, since); i < cells.length && cells[i]!.minute <= now; i++) sink += cells[i]!.count;
    floor.push(cpuMs() - floorStart);

    const start = cpuMs();
    const window = windowCells(since, now);
    const data = {
      ...window,
      profiles: profiles.slice(lowerBound(profiles, (p) => p.timestamp, profilesSince), lowerBound(profiles, (p) => p.timestamp, now + 1)),
      samples: samplesSince === null ? [] : samples.slice(lowerBound(samples, (s) => s.timestamp, samplesSince), lowerBound(samples, (s) => s.timestamp, now + 1)),
      lastSeen: Object.fromEntries(Array.from({ length: INSTANCES }, (_, i) => [`web-${i}`, now - i * 30_000])),
    };
    cache?.prune(since);
    const result = evaluateRules(rules, new AlertDataIndex(data, cache), states, now, { app: 'bench' });
    cpu.push(cpuMs() - start);
    states = result.states;
    notifications += result.notifications.length;
    cellsRead = window.cells.length + (window.hours?.cells.length ?? 0);
  }
  return { cpu, floor, notifications };
}

// Interleaved rounds so that machine noise and JIT warm-up hit both modes alike.
const cold: number[] = [];
const warm: number[] = [];
const floor: number[] = [];
let notifications = 0;
for (let round = 0; round < 3; round++) {
  const a = run(undefined);
  const b = run(new SketchCache());
  cold.push(...a.cpu.slice(round === 0 ? 1 : 0));
  warm.push(...b.cpu.slice(1)); // the first tick of a fresh cache is a cold tick
  floor.push(...a.floor);
  notifications = a.notifications;
  if (a.notifications !== b.notifications) throw new Error('the cache changed what was sent');
}

const report = (name: string, xs: number[]) => {
  const m = median(xs);
  console.log(`${name}: median ${m.toFixed(2)} ms CPU, p90 ${[...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.9)]!.toFixed(2)} ms → ${(m / WORKERS_FREE_CPU_MS).toFixed(2)}× the ${WORKERS_FREE_CPU_MS} ms limit (${m <= WORKERS_FREE_CPU_MS ? 'within' : 'OVER'})`);
};
console.log(`data: ${cells.length} minute cells (24 h × ${ROUTES} routes), ${profiles.length} profiles, ${samples.length} samples; built in ${buildMs.toFixed(0)} ms`);
console.log(`rules: ${rules.length} (${LONG} over 24 h); each tick reads ${cellsRead} cells (the longest window${HOURS ? ', whole hours as hour cells' : ''}); ${notifications} notifications over ${TICKS} ticks`);
console.log(`floor (scan the window's cells, sum counts): ${median(floor).toFixed(2)} ms CPU per tick`);
report('tick, cold (every sketch in the windows decoded: a Durable Object just started)', cold);
report('tick, warm (SketchCache kept between ticks: only the new minute decoded)', warm);
if (sink < 0) console.log(sink);
