// A DashboardSource over fixed data, for tests of the dashboard handler and views in isolation.
import type { AlertView, LiveSummary, RouteRow, Span, Summary, TraceRow } from '../../src/core/dashboard/data.ts';
import type { DashboardSource } from '../../src/core/dashboard/source.ts';

export const HOSTILE = {
  path: '/<script>alert(1)</script>',
  userAgent: '<img src=x onerror=alert(2)>',
  tag: '"><svg onload=alert(3)>',
};

export function fixedSource(now: number) {
  const alerts: AlertView[] = [
    { id: 'a1', ruleId: 'high-p95', name: `High p95 on ${HOSTILE.path}`, severity: 'critical', state: 'firing', value: 812, threshold: 500, startedAt: now - 120_000 },
    { id: 'a2', name: 'Old one', severity: 'warning', state: 'resolved', startedAt: now - 3_600_000, resolvedAt: now - 1_800_000 },
  ];
  const resolved: string[] = [];
  const summary: Summary = {
    app: 'shop', from: now - 3_600_000, to: now, until: now, resolution: '10s', requests: 1234, errors: 12, clientErrors: 30, errorRate: 12 / 1234, rps: 1234 / 3600,
    latency: { avg: 40, p50: 22, p95: 180, p99: 420, max: 900 }, apdex: 0.93, apdexThresholdMs: 500, inFlight: 3,
  };
  const live: LiveSummary = {
    app: 'shop', from: now - 70_000, to: now - 10_000, until: now - 10_000, resolution: '10s', requests: 60, errors: 1, clientErrors: 2, errorRate: 1 / 60, rps: 1,
    latency: { avg: 3, p50: 0.0042, p95: 12, p99: 30, max: 31 }, apdex: 0.99, apdexThresholdMs: 500, inFlight: 2,
  };
  const routes: RouteRow[] = [
    { method: 'GET', route: '/users/:id', requests: 1000, errors: 2, clientErrors: 0, errorRate: 0.002, rps: 0.28, latency: { avg: 30, p50: 20, p95: 90, p99: 200, max: 250 }, apdex: 0.97, overflow: false },
    { method: 'GET', route: HOSTILE.path, requests: 34, errors: 10, clientErrors: 0, errorRate: 10 / 34, rps: 0.01, latency: { avg: 350, p50: 300, p95: 800, p99: 900, max: 950 }, apdex: 0.5, overflow: false },
  ];
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const spans: Span[] = [
    { traceId, spanId: '00f067aa0ba902b7', name: `GET ${HOSTILE.path}`, kind: 'server', startTime: now - 5000, duration: 120, status: 'error', error: HOSTILE.tag, tags: { 'http.user_agent': HOSTILE.userAgent, evil: HOSTILE.tag }, logs: [{ timestamp: now - 4990, level: 'error', message: HOSTILE.tag }] },
    { traceId, spanId: '00f067aa0ba902b8', parentSpanId: '00f067aa0ba902b7', name: 'database-query', kind: 'internal', startTime: now - 4980, duration: 60, status: 'ok', tags: { 'db.table': 'users' }, logs: [] },
  ];
  const traces: TraceRow[] = [{ traceId, name: spans[0]!.name, route: HOSTILE.path, statusCode: 500, startTime: now - 5000, duration: 120, spanCount: 2, error: true }];
  const source: DashboardSource & { resolved: string[] } = {
    resolved,
    apps: async () => ['shop', 'blog'],
    hasData: async (app) => app === 'shop',
    summary: async (app) => ({ ...summary, app }),
    live: async (app) => ({ ...live, app }),
    routes: async () => routes,
    timeseries: async () => ({ t: [now / 1000 - 120, now / 1000 - 60], p50: [20, null], p95: [90, 95], p99: [200, 210], requests: [10, 12], rps: [1, 1.2], errorRate: [0, 1], '2xx': [10, 11], '3xx': [0, 0], '4xx': [0, 0], '5xx': [0, 1] }),
    // Instances named like the time column and like Object.prototype's keys: each still a line of its own.
    system: async () => ({ t: [now / 1000 - 120, now / 1000 - 60], series: [{ name: '__proto__', values: [80, 90] }, { name: 'host-1', values: [100, 110] }, { name: 't', values: [5, 6] }] }),
    instances: async () => [{ instance: 'host-1:shop', pid: 4242, lastSeen: now, sending: true }, { instance: HOSTILE.path, pid: null, lastSeen: now - 600_000, sending: false }],
    alerts: async () => ({ alerts: alerts.map((a) => (resolved.includes(a.id) ? { ...a, state: 'resolved' as const, resolvedAt: now } : a)) }),
    resolveAlert: async (_app, id) => {
      const open = alerts.some((a) => a.id === id && a.state !== 'resolved' && !resolved.includes(id));
      if (open) resolved.push(id);
      return open;
    },
    traces: async () => traces,
    trace: async (_app, id) => ({ spans: id === traceId ? spans : [] }),
  };
  return { source, traceId, routes, traces, alerts };
}
