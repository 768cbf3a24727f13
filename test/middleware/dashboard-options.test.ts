// The in-process dashboard's options as a production engineer can get them wrong, on a real Bun
// server (found by a review of the explicit API): a mistake in `authentication` fails closed at
// construction (it had served the page to anyone), a panel switched off in `features` answers
// nothing (its data had stayed one URL away), and every alert the page shows resolves from it.
import { afterEach, describe, expect, test } from 'bun:test';
import { performanceAlerting, performanceDashboard, performanceMonitor, requestTracer, type ConfigError } from '../../src/middleware/index.ts';
import { thrown } from '../support/config-error.ts';
import { waitFor } from './alerting/receivers.ts';

const KEY = 'options-key-0123456789';
const closers: Array<() => unknown> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

function serve(dashboard: ReturnType<typeof performanceDashboard>, app: (req: Request) => Response | Promise<Response> = () => new Response('app')): string {
  const server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: (req) => dashboard(req, async () => app(req)) });
  closers.push(() => server.stop(true));
  return `http://127.0.0.1:${server.port}`;
}

const status = async (url: string, headers: Record<string, string> = {}) => (await fetch(url, { headers, redirect: 'manual' })).status;

describe('authentication fails closed', () => {
  const mistakes: Array<[string, unknown, string]> = [
    ['a misspelt key', { apikey: KEY }, 'performanceDashboard option authentication.apikey is unknown (did you mean apiKey?)'],
    ['a password alone', { password: 'pw' }, 'performanceDashboard option authentication.username: not set, but password is'],
    ['a password read from an unset variable', { username: 'admin', password: process.env.BUN_APM_TEST_UNSET_PASSWORD }, 'performanceDashboard option authentication.password: not set, but username is (unset variable?)'],
    ['neither a key nor a username or password', { enabled: true, apiKey: '' }, 'neither username+password nor apiKey is set'],
    ['`true`', true, 'performanceDashboard option authentication: expected an object'],
    ['enabled as a string', { enabled: 'false', apiKey: KEY }, 'performanceDashboard option authentication.enabled: expected true or false'],
    ['a key that is not a string', { apiKey: 42 }, 'performanceDashboard option authentication.apiKey: expected a string'],
    // A plain Error from deeper in, not a ConfigError naming the option (a review).
    ['a key of blanks', { apiKey: '   ' }, 'performanceDashboard option authentication.apiKey: only blanks'],
  ];
  test.each(mistakes)('%s is a ConfigError naming it', (_, authentication, message) => {
    const error: ConfigError = thrown(() => performanceDashboard({ authentication: authentication as never }));
    expect(error.message).toContain(message);
  });

  test('an API key: 401 without it, 200 with it; `enabled: false`, or no authentication at all, is an open page', async () => {
    const closed = serve(performanceDashboard({ app: 'shop', authentication: { apiKey: KEY } }));
    expect([await status(`${closed}/performance`), await status(`${closed}/performance`, { 'x-api-key': KEY })]).toEqual([401, 200]);
    const off = serve(performanceDashboard({ app: 'shop', authentication: { enabled: false, apiKey: KEY } }));
    const none = serve(performanceDashboard({ app: 'shop' }));
    expect([await status(`${off}/performance`), await status(`${none}/performance`)]).toEqual([200, 200]);
  });

  test('features must be known flags', () => {
    expect(thrown(() => performanceDashboard({ features: { tracingview: false } as never })).message).toBe('performanceDashboard option features.tracingview is unknown (did you mean tracingView?)');
    expect(thrown(() => performanceDashboard({ features: { realTimeMetrics: 'no' } as never })).message).toBe('performanceDashboard option features.realTimeMetrics: expected true or false');
    // Undefined is the default, as for every option; an empty title is a title.
    expect(() => performanceDashboard({ features: { tracingView: undefined }, title: '' })).not.toThrow();
  });
});

describe('a part given must be one', () => {
  // `monitor: {}` had been taken, and then every page answered 500 (getRollupCells is not a function).
  const mistakes: Array<[string, object, string]> = [
    ['an empty monitor', { monitor: {} }, 'performanceDashboard option monitor: expected the monitor (performanceMonitor()), got object without getRollupCells, getProfiles, getActiveAlerts'],
    ['an empty tracer', { tracer: {} }, 'performanceDashboard option tracer: expected the tracer (requestTracer()), got object without getRecentSpans'],
    ['a monitor of null', { monitor: null }, 'performanceDashboard option monitor: expected the monitor (performanceMonitor()), got null without getRollupCells, getProfiles, getActiveAlerts'],
    ['an alerting without resolveAlert', { alerting: { getActiveAlerts: () => [], getAllNotifications: () => [] } }, 'performanceDashboard option alerting: expected the alerting (performanceAlerting()), got object without resolveAlert'],
  ];
  test.each(mistakes)('%s is a ConfigError naming it', (_, options, message) => {
    expect(thrown(() => performanceDashboard(options as never)).message).toBe(message);
  });

  test('the factories\' parts are taken, and the page answers', async () => {
    const monitor = performanceMonitor({ profiling: { enabled: false } });
    const tracer = requestTracer({});
    const alerting = performanceAlerting({});
    closers.push(monitor.close, tracer.close, () => alerting.close());
    expect(await status(`${serve(performanceDashboard({ app: 'shop', monitor, tracer, alerting }))}/performance`)).toBe(200);
  });
});

describe('a panel switched off answers nothing', () => {
  test('traces, alerts, system and history: 404 when off (a trace holds query strings: an e-mail address, not redacted as secrets are), 200 when on', async () => {
    const tracer = requestTracer({ sampleRate: 1 });
    closers.push(tracer.close);
    const traced: Request & { traceId?: string } = new Request('http://app.test/reset?email=PRIVATE123');
    await tracer(traced, async () => new Response('ok'));
    const traceId = traced.traceId!;
    const paths = ['/fragments/traces', `/traces/${traceId}`, '/fragments/alerts', '/data/system', '/data/timeseries', '/fragments/summary'];
    const headers = { 'x-api-key': KEY };
    const off = serve(performanceDashboard({ app: 'shop', tracer, authentication: { apiKey: KEY }, features: { tracingView: false, alertsPanel: false, systemMetrics: false, historicalCharts: false, realTimeMetrics: false } }));
    const on = serve(performanceDashboard({ app: 'shop', tracer, authentication: { apiKey: KEY } }));
    const offAnswers = await Promise.all(paths.map(async (p) => {
      const response = await fetch(`${off}/performance${p}`, { headers });
      return [response.status, (await response.text()).includes('PRIVATE123')];
    }));
    expect(offAnswers).toEqual(paths.map(() => [404, false]));
    expect(await Promise.all(paths.map((p) => status(`${on}/performance${p}`, headers)))).toEqual(paths.map(() => 200));
    expect(await (await fetch(`${on}/performance/traces/${traceId}`, { headers })).text()).toContain('PRIVATE123');
    // The page itself still answers, without the panels.
    const page = await fetch(`${off}/performance`, { headers });
    expect([page.status, (await page.text()).includes('id="traces"')]).toEqual([200, false]);
  });
});

describe('every alert the page shows resolves from it', () => {
  test('the alerting made last and the monitor\'s thresholds, with neither passed to the dashboard', async () => {
    const alerting = performanceAlerting({ rules: [{ id: 'errors', name: 'Errors', enabled: true, metric: 'errorRate', condition: 'gt', threshold: 0.5, severity: 'critical' }] });
    const monitor = performanceMonitor({ profiling: { enabled: false }, alerting: { enabled: true, thresholds: { errorRate: 0.05 }, channels: [] } });
    closers.push(() => alerting.close(), monitor.close);
    const dashboard = performanceDashboard({ app: 'shop', monitor });
    for (let i = 0; i < 4; i++) await alerting(new Request(`http://app.test/orders/${i}`), async () => monitor(new Request(`http://app.test/orders/${i}`), async () => new Response('down', { status: 503 })));
    await monitor.flush();
    await waitFor(() => alerting.getActiveAlerts().length === 1 && monitor.getActiveAlerts().length === 1, 2000, 'both alerts firing');
    const ids = [alerting.getActiveAlerts()[0]!.id, monitor.getActiveAlerts()[0]!.id];
    const base = serve(dashboard);
    const page = await (await fetch(`${base}/performance`)).text();
    for (const id of ids) expect(page).toContain(`value="${id}"`);
    for (const id of ids) {
      const form = `id=${encodeURIComponent(id)}`;
      const answer = await fetch(`${base}/performance/alerts/resolve`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: base }, body: form });
      expect([id, answer.status]).toEqual([id, 303]);
    }
    expect([alerting.getActiveAlerts().length, monitor.getActiveAlerts().length]).toEqual([0, 0]);
  });
});

describe('addAlert keeps caller text short', () => {
  test('a 5 MB message is clipped to 500 characters; a hostile object is described, never thrown from (review: kept whole, 500 of them)', async () => {
    const empty = { getRollupCells: () => [], getProfiles: () => [], getActiveAlerts: () => [] };
    const dashboard = performanceDashboard({ app: 'shop', monitor: empty, alerting: { getActiveAlerts: () => [], getAllNotifications: () => [], resolveAlert: () => false } });
    dashboard.addAlert('warning', 'x'.repeat(5e6));
    const hostile = [{ toString: () => { throw new Error('no'); } }, Object.create(null), new Proxy({}, { getPrototypeOf: () => { throw new Error('trap'); } })];
    for (const message of hostile) expect(() => dashboard.addAlert('critical', message as unknown as string)).not.toThrow();
    // A type not one of the two had been shown as a warning, silently (a review).
    expect(() => dashboard.addAlert('fatal' as 'warning', 'x')).toThrow(`addAlert: expected type 'warning' or 'critical', got "fatal"`);
    expect(() => dashboard.addAlert(hostile[0] as unknown as 'warning', 'x')).toThrow('got object');
    const page = await (await dashboard(new Request('http://x/performance'), async () => new Response('app'))).text();
    expect(page).toContain(`${'x'.repeat(499)}…`);
    expect(page).not.toContain('x'.repeat(500));
    expect(page.length).toBeLessThan(200_000);
  });
});

test('a path requests cannot arrive with is a ConfigError naming it (`/ü` arrives as /%C3%BC: the dashboard had never answered)', () => {
  for (const path of ['/ü', '/a/../b', '/perf ormance']) {
    expect(thrown(() => performanceDashboard({ path })).message).toBe(
      `performanceDashboard option path: expected a path starting with / as a URL carries it (letters, digits, - . _ ~ / and the like; others percent-encoded; no . or .. segments), got ${JSON.stringify(path)}`,
    );
  }
  const encoded = performanceDashboard({ path: '/%C3%BC' });
  expect(typeof encoded).toBe('function');
});

test('a clientId that throws fails no request of the app; the dashboard’s own requests still answer (a review: every request had been a 500)', async () => {
  const dashboard = performanceDashboard({ app: 'shop', authentication: { apiKey: KEY }, clientId: (req) => req.headers.get('x-forwarded-for')!.split(',')[0]! });
  const base = serve(dashboard);
  expect(await status(`${base}/health`)).toBe(200);
  expect(await status(`${base}/health`, { 'x-forwarded-for': '10.0.0.1' })).toBe(200);
  expect(await status(`${base}/performance/fragments/summary?app=shop`, { 'x-api-key': KEY })).toBe(200);
  expect(await status(`${base}/performance/fragments/summary?app=shop`, { 'x-api-key': KEY, 'x-forwarded-for': '10.0.0.1' })).toBe(200);
});

test('updateMetricsHistory refuses a point it would draw wrong, naming the field (a review: NaN drew as 0 µs, Infinity as a month)', () => {
  const dashboard = performanceDashboard({ app: 'shop' });
  const point = { responseTime: 12, memoryUsage: 1e8, requestCount: 5, errorCount: 1 };
  const refusals: Array<[unknown, string]> = [
    [{ ...point, responseTime: Number.NaN }, 'responseTime: expected a number from 0 to 86400000, got NaN'],
    [{ ...point, responseTime: Number.POSITIVE_INFINITY }, 'responseTime: expected a number from 0 to 86400000, got Infinity'],
    [{ ...point, requestCount: 1e300 }, 'requestCount: expected a whole number from 0 to 1000000000, got 1e+300'],
    [{ ...point, errorCount: -1 }, 'errorCount: expected a whole number from 0 to 1000000000, got -1'],
    [{ ...point, timestamp: 'abc' }, 'timestamp: expected epoch milliseconds (or leave it out for now), got string'],
    [undefined, 'expected an object of responseTime, memoryUsage, requestCount, errorCount and timestamp?, got undefined'],
  ];
  for (const [data, message] of refusals) {
    let error: unknown;
    try {
      dashboard.updateMetricsHistory(data as never);
    } catch (caught) {
      error = caught;
    }
    expect([error instanceof RangeError, (error as Error | undefined)?.message]).toEqual([true, `updateMetricsHistory: ${message}`]);
  }
  expect(() => dashboard.updateMetricsHistory(point)).not.toThrow();
});

test('updateMetricsHistory keeps its newest points only (a review: every point was kept for good, 39 MB for 50,000)', async () => {
  const now = 1_780_000_000_000;
  const points = 30_000;
  const fed = performanceDashboard({ app: 'shop', authentication: { apiKey: KEY }, now: () => now });
  const recent = performanceDashboard({ app: 'shop', authentication: { apiKey: KEY }, now: () => now });
  for (let i = 0; i < points; i++) {
    const point = { responseTime: 12, memoryUsage: 0, requestCount: 5, errorCount: 1, timestamp: now - (points - 1 - i) * 10_000 };
    fed.updateMetricsHistory(point);
    if (i >= points - 400) recent.updateMetricsHistory(point);
  }
  const requests = async (dashboard: ReturnType<typeof performanceDashboard>, range: string) => {
    const html = await (await fetch(`${serve(dashboard)}/performance/fragments/summary?app=shop&range=${range}`, { headers: { 'x-api-key': KEY } })).text();
    return Number(/data-metric="requests" data-value="(\d+)"/.exec(html)?.[1]);
  };
  // 30,000 points of 10 s are 83 hours, all inside the week's view: kept, the week would count 150,000.
  const week = await requests(fed, '7d');
  expect(week).toBeGreaterThanOrEqual(5 * 5_000);
  expect(week).toBeLessThanOrEqual(5 * 10_000);
  expect(await requests(fed, '1h')).toBe(await requests(recent, '1h'));
  expect(await requests(recent, '1h')).toBeGreaterThan(1_700);
});

test('in-process, a row of a method counted as OTHER lists its traces (a review: PURGE /cache/x listed none)', async () => {
  const monitor = performanceMonitor({ sampleRate: 1, profiling: { enabled: false } });
  const tracer = requestTracer({ sampleRate: 1 });
  closers.push(() => tracer.close(), () => monitor.close());
  const dashboard = performanceDashboard({ app: 'shop', authentication: { apiKey: KEY }, monitor, tracer });
  const base = serve(dashboard, (req) => monitor.handle(req, () => tracer.handle(req, async () => new Response('ok'))));
  for (const method of ['PURGE', 'GET']) await (await fetch(`${base}/cache/x`, { method })).text();
  const html = await (await fetch(`${base}/performance/fragments/traces?app=shop&range=1h&route=%2Fcache%2Fx&method=OTHER`, { headers: { 'x-api-key': KEY } })).text();
  expect([...html.matchAll(/<a href="\/performance\/traces\/[0-9a-f]{32}[^"]*"[^>]*>([^<]*)<\/a>/g)].map((m) => m[1])).toEqual(['PURGE /cache/x']);
});

test('a trace no longer kept is a 404 whose page says why, in-process (a review: a 200 saying spans are kept 7 days)', async () => {
  const tracer = requestTracer({ sampleRate: 1 });
  closers.push(() => tracer.close());
  const base = serve(performanceDashboard({ app: 'shop', authentication: { apiKey: KEY }, tracer }));
  const gone = await fetch(`${base}/performance/traces/${'ab'.repeat(16)}?app=shop`, { headers: { 'x-api-key': KEY, accept: 'text/html', 'sec-fetch-mode': 'navigate' } });
  expect(gone.status).toBe(404);
  const text = await gone.text();
  expect(text).toContain('Trace not found');
  expect(text).toContain('The tracer keeps its most recent spans only (maxRecentSpans');
  expect(text).not.toContain('7 days');
});
