// Reads everything an app has through every query the edge answers (summary, routes, timeseries,
// samples, traces and each trace, profiles, the dashboard page, its fragments and chart data) and
// holds each answer to: 200 within a time budget, and numbers where numbers belong (JSON carries no
// Infinity or NaN: they would show as null, or as "NaN" in a page).
import type { LocalEdge } from '../../../scripts/local-edge.ts';
import { MAX_DURATION_MS } from '../../../src/core/value-bounds.ts';
import { KEYS } from '../support/edge.ts';

export const DASHBOARD_KEY = 'dash-key-fuzz-0123456789';
export const DASHBOARD_BINDINGS = { DASHBOARD_API_KEY: DASHBOARD_KEY, SESSION_SECRET: 'session-secret-fuzz-0123456789' };

/** What the reads said they left out, per query. */
export type Warned = Partial<Record<'summary' | 'routes' | 'timeseries' | 'trace', string[]>>;

export interface ReadOptions {
  from: number;
  to: number;
  /** Each request must answer within this (ms). */
  budgetMs: number;
  /** Traces whose waterfall to open as well (default: the first five listed). */
  traceIds?: string[];
}

async function get(edge: LocalEdge, path: string, budgetMs: number, headers: Record<string, string> = { 'x-api-key': KEYS.shopRead }): Promise<Response> {
  const started = performance.now();
  const response = await fetch(new URL(path, edge.url), { headers });
  const body = await response.arrayBuffer();
  const took = performance.now() - started;
  if (response.status !== 200) throw new Error(`GET ${path} answered ${response.status}: ${new TextDecoder().decode(body).slice(0, 300)}`);
  if (took > budgetMs) throw new Error(`GET ${path} took ${Math.round(took)} ms, over the budget of ${budgetMs} ms`);
  return new Response(body, { headers: response.headers });
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function expectFigures(where: string, totals: any): void {
  for (const key of ['requests', 'errors', 'clientErrors', 'rps']) {
    if (!isNumber(totals[key]) || totals[key] < 0) throw new Error(`${where}.${key} is ${JSON.stringify(totals[key])}`);
  }
  if (totals.requests === 0) return;
  for (const key of ['errorRate', 'apdex']) {
    if (!isNumber(totals[key]) || totals[key] < 0 || totals[key] > 1) throw new Error(`${where}.${key} is ${JSON.stringify(totals[key])}`);
  }
  for (const [key, value] of Object.entries(totals.latency)) {
    // A percentile is within 1 % of a duration, and no duration passes MAX_DURATION_MS.
    if (!isNumber(value) || value < 0 || value > MAX_DURATION_MS * 1.01) throw new Error(`${where}.latency.${key} is ${JSON.stringify(value)}`);
  }
}

/** Reads everything; throws naming the first answer that breaks a rule. Returns what the reads warned of. */
export async function readEverything(edge: LocalEdge, options: ReadOptions): Promise<Warned> {
  const { from, to, budgetMs } = options;
  const window = `from=${from}&to=${to}`;
  const warned: Warned = {};
  const api = async (path: string) => (await get(edge, `/api/v1/apps/shop${path}`, budgetMs)).json() as Promise<any>;

  const summary = await api(`/summary?${window}`);
  expectFigures('summary', summary);
  if (summary.warnings) warned.summary = summary.warnings;

  const routes = await api(`/routes?${window}&limit=10000`);
  routes.routes.forEach((row: any, i: number) => expectFigures(`routes[${i}]`, row));
  if (routes.warnings) warned.routes = routes.warnings;

  const series = await api(`/timeseries?${window}&metric=latency,throughput,failures,statusClasses,apdex,bytes`);
  series.t.forEach((t: number, i: number) => {
    if (series.requests[i] === null || series.requests[i] === 0) return;
    for (const [column, values] of Object.entries(series)) {
      if (!Array.isArray(values) || column === 't' || column === 'warnings') continue;
      if (!isNumber(values[i])) throw new Error(`timeseries.${column}[${i}] is ${JSON.stringify(values[i])} in a bucket of ${series.requests[i]} requests (t=${t})`);
    }
  });
  if (series.warnings) warned.timeseries = series.warnings;

  const samples = await api(`/samples?${window}&limit=1000`);
  for (const s of samples.items) if (!isNumber(s.duration)) throw new Error(`samples: duration ${JSON.stringify(s.duration)}`);

  const traces = await api(`/traces?${window}&limit=500`);
  for (const t of traces.items) if (!isNumber(t.duration)) throw new Error(`traces: duration ${JSON.stringify(t.duration)}`);
  const traceIds = options.traceIds ?? traces.items.slice(0, 5).map((t: any) => t.traceId);
  for (const id of traceIds) {
    const trace = await api(`/traces/${id}`);
    for (const s of trace.spans) if (!isNumber(s.duration) || !isNumber(s.startTime)) throw new Error(`trace ${id}: span ${s.spanId} times ${s.startTime}/${s.duration}`);
    if (trace.warnings) warned.trace = [...(warned.trace ?? []), ...trace.warnings];
  }
  await api(`/profiles?${window}&limit=10000`);

  const dashboard = { 'x-api-key': DASHBOARD_KEY };
  const page = await (await get(edge, '/performance?app=shop', budgetMs, dashboard)).text();
  if (!page.includes('<html')) throw new Error('the dashboard page is not HTML');
  const tiles = await (await get(edge, '/performance/fragments/summary?app=shop', budgetMs, dashboard)).text();
  if (/NaN|Infinity/.test(tiles)) throw new Error(`the summary tiles show NaN or Infinity: ${tiles.slice(0, 300)}`);
  await get(edge, '/performance/fragments/routes?app=shop', budgetMs, dashboard);
  for (const id of traceIds.slice(0, 2)) await get(edge, `/performance/traces/${id}?app=shop`, budgetMs, dashboard);
  for (const metric of ['latency', 'throughput', 'errors', 'status']) {
    const chart = await (await get(edge, `/performance/data/timeseries?app=shop&metric=${metric}`, budgetMs, dashboard)).text();
    if (/NaN|Infinity/.test(chart)) throw new Error(`chart ${metric} holds NaN or Infinity`);
  }
  return warned;
}
