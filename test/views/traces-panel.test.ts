// The traces panel and the routes table as an on-call engineer uses them (found by a review in a
// browser): the list reloads in live mode with the filters it shows, a trace opens and goes back
// with the page's range and route, the empty list names the right default, and Apdex's column
// says the order it is in (highest first, as every column but the route).
import { expect, test } from 'bun:test';
import { ALL_FEATURES, type ViewContext } from '../../src/core/dashboard/view-context.ts';
import { routeTable } from '../../src/core/query/routes.ts';
import { RollupTable } from '../../src/core/rollup.ts';
import { RoutesTable } from '../../src/views/routes-table.tsx';
import { TraceWaterfall } from '../../src/views/trace-waterfall.tsx';
import { TracesPanel } from '../../src/views/traces-panel.tsx';

const CTX: ViewContext = { base: '/performance', assets: '/performance/assets', title: 'APM', app: 'shop', apps: ['shop'], range: '6h', route: '/search', refreshMs: 0, csrf: 'x', features: ALL_FEATURES };
const TRACE = 'e'.repeat(32);
const decode = (html: string) => html.replaceAll('&amp;', '&');

test('the traces list reloads in live mode with its filters, and a trace keeps the page\'s range and route', () => {
  const html = decode(String(TracesPanel({
    ctx: CTX, filter: { route: '/search', minDuration: 200, errorsOnly: true, order: 'slowest' },
    traces: [{ traceId: TRACE, name: 'GET /search', route: '/search', startTime: Date.UTC(2026, 10, 30), duration: 250, spanCount: 3, error: true }],
  })));
  expect(html).toContain('hx-get="/performance/fragments/traces?app=shop&range=6h&route=%2Fsearch&minDuration=200&errors=1&order=slowest" hx-trigger="apm-refresh"');
  // What the page's address keeps of the list (public/dashboard.js copies it there): the filters, not the page's route.
  expect(html).toContain('data-page-owns="traceRoute minDuration errors order" data-page-params="?minDuration=200&errors=1&order=slowest"');
  // The trace's link and its page's Back link: the page's range and route, and (dashboard.js) the panels' own parameters.
  expect(html).toContain(`href="/performance/traces/${TRACE}?app=shop&range=6h&route=%2Fsearch" data-page-link`);
  const back = decode(String(TraceWaterfall({ ctx: CTX, traceId: TRACE, spans: [{ traceId: TRACE, spanId: '1'.repeat(16), name: 'GET /search', kind: 'server', startTime: 1, duration: 2, status: 'ok', tags: {}, logs: [] }] })));
  expect(back).toContain('href="/performance?app=shop&range=6h&route=%2Fsearch" data-page-link>← Back to the dashboard');
  expect(back).toContain('data-page-keeps="sort traceRoute minDuration errors order"');
});

test('a route typed into the traces form is the list\'s own, kept beside the page\'s route filter', () => {
  const html = decode(String(TracesPanel({ ctx: { ...CTX, method: 'POST' }, filter: { route: '/cart' }, traces: [] })));
  expect(html).toContain('hx-get="/performance/fragments/traces?app=shop&range=6h&route=%2Fsearch&method=POST&traceRoute=%2Fcart"');
  expect(html).toContain('<input type="hidden" name="route" value="/search"/>');
  expect(html).toContain('<input type="hidden" name="method" value="POST"/>');
  expect(html).toContain('name="traceRoute" value="/cart"');
  // Cleared under the page's route: every route, kept as an empty traceRoute (left out, it means the page's route).
  const cleared = decode(String(TracesPanel({ ctx: CTX, filter: {}, traces: [] })));
  expect(cleared).toContain('hx-get="/performance/fragments/traces?app=shop&range=6h&route=%2Fsearch&traceRoute=" hx-trigger="apm-refresh"');
  expect(cleared).toContain('data-page-params="?traceRoute="');
});

test('an empty list names the default sampling: one trace a second, BUN_APM_TRACES_PER_SECOND', () => {
  const html = String(TracesPanel({ ctx: CTX, filter: {}, traces: [] }));
  expect(html).toContain('by default 1 a second: BUN_APM_TRACES_PER_SECOND');
  // In-process, the tracer's own sampleRate decides (the preload's setting is not read there).
  expect(String(TracesPanel({ ctx: { ...CTX, inProcess: true }, filter: {}, traces: [] }))).toContain("Traces are sampled (the tracer's sampleRate)");
  expect(html).not.toContain('1 %');
});

test('sorted by Apdex, its header says ascending (the least satisfied routes first, for whoever is paged); by route, ascending; by p95, descending', () => {
  const T0 = Date.UTC(2026, 10, 30, 12);
  const table = new RollupTable();
  for (const [route, ms] of [['/fast', 10], ['/slow', 5_000], ['/mid', 900]] as const) for (let i = 0; i < 10; i++) table.record(T0 + i, 'GET', route, 200, ms, 1, false);
  for (const [sort, order] of [['apdex', 'ascending'], ['route', 'ascending'], ['p95', 'descending']] as const) {
    const rows = routeTable(table.cellsNow(), { from: T0 - 60_000, to: T0 + 60_000, sort });
    const html = String(RoutesTable({ ctx: CTX, rows, sort }));
    expect(html.match(/aria-sort="(\w+)"/)?.[1]).toBe(order);
    // The order the header says is the order the rows come in.
    const values = rows.map((row) => (sort === 'route' ? row.route : sort === 'apdex' ? row.apdex : row.latency.p95)) as Array<string | number>;
    const sorted = [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    expect(values).toEqual(order === 'ascending' ? sorted : sorted.reverse());
  }
});
