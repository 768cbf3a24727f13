// Every code example of spec/performance-monitoring.md that uses PerformanceMonitor or
// RequestTracer, run as written, importing from the package's middleware entry. Changes to the
// text: `bun-router/middleware` → `bun-apm/middleware`; the router is the `(req, next)` router of
// spec-examples/mini-router.ts; endpoints (jaeger, metrics-api.com) point at local sinks and
// /var/log/app at a temporary directory; `db` and `getUserById` are small in-memory stand-ins.
// PerformanceDashboard lines run when the middleware entry exports it (another engineer's part).
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as middleware from 'bun-apm/middleware';
import {
  fromGlobalConfig, performanceAlerting, performanceMonitor, PerformanceMonitor, readMetricsFile, requestTracer, RequestTracer,
  type EnhancedRequest, type Middleware, type PerformanceMetrics, type TraceSpan,
} from 'bun-apm/middleware';
import { Router, startSink } from './spec-examples/mini-router.ts';

const dir = mkdtempSync(join(tmpdir(), 'bun-apm-spec-'));
let sink: ReturnType<typeof startSink>;
const saved = { ...process.env };
const closers: Array<() => Promise<unknown> | unknown> = [];
const consoleLines: string[] = [];
const originalLog = console.log;

beforeAll(() => {
  sink = startSink();
  for (const key of ['WEBHOOK_URL', 'WEBHOOK_TOKEN', 'ALERT_EMAIL_TO', 'ALERT_EMAIL_FROM', 'PAGERDUTY_ROUTING_KEY', 'SMTP_URL']) delete process.env[key];
  process.env.SLACK_WEBHOOK_URL = `${sink.url}/slack`;
  process.env.JAEGER_ENDPOINT = sink.url;
  process.env.ZIPKIN_ENDPOINT = sink.url;
  console.log = (...args: unknown[]) => void consoleLines.push(args.map(String).join(' '));
});
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});
afterAll(() => {
  console.log = originalLog;
  sink.stop();
  for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
  Object.assign(process.env, saved);
});

/** Closes whatever the middleware entry's factories returned (monitors, tracers, alerting, dashboards). */
function closing<T>(value: T): T {
  const close = (value as { close?: () => unknown }).close;
  if (typeof close === 'function') closers.push(() => close.call(value));
  return value;
}

/** PerformanceDashboard, once the middleware entry has it. */
const dashboardFactory = (middleware as Record<string, unknown>).performanceDashboard as ((options?: object) => Middleware) | undefined;

const users = new Map([['1', { id: '1', name: 'Ada' }], ['2', { id: '2', name: 'Grace' }]]);
const db = {
  users: {
    findMany: async () => [...users.values()],
    findUnique: async ({ where }: { where: { id: string | undefined } }) => users.get(where.id ?? '') ?? null,
  },
};
async function getUserById(id: string | undefined) {
  const user = users.get(id ?? '');
  if (!user) throw new Error(`no user ${id}`);
  return user;
}

async function drive(router: Router, paths: string[], init?: RequestInit): Promise<Response[]> {
  const out: Response[] = [];
  for (const path of paths) out.push(await router.fetch(new Request(`http://app.test${path}`, init)).catch(() => new Response(null, { status: 500 })));
  return out;
}

describe('Quick Start', () => {
  test('Basic Setup', async () => {
    const router = new Router();
    const monitor = closing(performanceMonitor({
      enabled: true,
      sampleRate: 0.1, // Sample 10% of requests
      storage: {
        type: 'memory',
        maxEntries: 10000,
      },
    }));
    router.use(monitor);
    const tracer = closing(requestTracer({
      enabled: true,
      sampleRate: 0.05, // Sample 5% of requests
      exporters: [
        { type: 'console' },
        {
          type: 'jaeger',
          endpoint: sink.url, // 'http://jaeger:14268'
        },
      ],
    }));
    router.use(tracer);
    if (dashboardFactory) {
      router.use(closing(dashboardFactory({
        enabled: true,
        path: '/performance',
        authentication: { enabled: true, username: 'admin', password: process.env.DASHBOARD_PASSWORD ?? 'test-password' },
      })));
    }
    const alerting = closing(performanceAlerting({
      enabled: true,
      channels: [{ type: 'slack', enabled: true, config: { url: process.env.SLACK_WEBHOOK_URL, channel: '#alerts' } }],
    }));
    router.get('/hello', () => new Response('hi'));
    const n = 300;
    const responses = await drive(router, Array.from({ length: n }, () => '/hello'));
    expect(responses.every((r) => r.status === 200)).toBe(true);
    const traced = responses.filter((r) => r.headers.has('traceparent')).length;
    await tracer.flush();
    // Every request counted, whatever the sample rate; spans exactly for the traced ones.
    expect(monitor.getAggregatedMetrics(60_000).count).toBe(n);
    expect(monitor.getMetrics().length).toBeLessThan(n);
    expect(tracer.getRecentSpans().length).toBe(traced);
    expect(consoleLines.filter((l) => l.includes('GET /hello')).length).toBe(traced);
    expect(alerting.getActiveAlerts()).toEqual([]);
    // The dashboard was given none of them, as in the document: it shows the process's monitor.
    if (dashboardFactory) {
      const page = await router.fetch(new Request('http://app.test/performance', { headers: { authorization: `Basic ${btoa('admin:test-password')}` } }));
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toContain(`${n} requests`);
      expect(html).not.toContain('No requests counted');
    }
  });
});

describe('Components', () => {
  test('PerformanceMonitor', async () => {
    const filePath = join(dir, 'metrics.jsonl'); // './metrics.jsonl'
    const monitor = new PerformanceMonitor({
      enabled: true,
      sampleRate: 0.1,
      storage: {
        type: 'file',
        filePath,
        maxEntries: 100000,
      },
      profiling: {
        enabled: true,
        interval: 5000, // Profile every 5 seconds
      },
      alerting: {
        enabled: true,
        thresholds: {
          responseTime: 1000, // Alert if response time > 1s
          errorRate: 0.05, // Alert if error rate > 5%
          memoryUsage: 512 * 1024 * 1024, // Alert if memory > 512MB
        },
      },
    });
    closers.push(() => monitor.close());
    const router = new Router().use((req, next) => monitor.handle(req, next));
    router.get('/items/:id', (req) => (req.params.id === '0' ? new Response('gone', { status: 500 }) : Response.json({ id: req.params.id })));
    const paths = Array.from({ length: 200 }, (_, i) => `/items/${i % 10}`);
    await drive(router, paths);

    // Get current metrics
    const metrics = monitor.getMetrics();
    // Get aggregated metrics for the last hour
    const aggregated = monitor.getAggregatedMetrics(3600000);
    // Get system profiles
    const profiles = monitor.getProfiles();

    expect(aggregated.count).toBe(200);
    expect(aggregated.errors).toBe(20);
    expect(aggregated.errorRate).toBe(0.1);
    expect(aggregated.statusCodes).toEqual({ '200': 180, '500': 20 });
    expect(aggregated.paths).toEqual({ '/items/:id': 200 });
    expect(profiles.length).toBeGreaterThanOrEqual(1);
    expect(profiles[0]!.heapUsed).toBeGreaterThan(0);
    await monitor.flush();
    expect(readMetricsFile(filePath).metrics).toEqual(JSON.parse(JSON.stringify(metrics)));
    // The memory threshold (512 MB) holds the test process's memory, which the suite's other files in this process grow: fired only when over.
    const active = monitor.alerting?.getActiveAlerts() ?? [];
    expect(active.map((a) => a.ruleId).filter((id) => id !== 'monitor-memoryUsage')).toEqual(['monitor-errorRate']);
    for (const alert of active.filter((a) => a.ruleId === 'monitor-memoryUsage')) expect(alert.value).toBeGreaterThan(512 * 1024 * 1024);
    // The thresholds notify the channels of the environment: SLACK_WEBHOOK_URL here.
    expect(sink.requests.filter((r) => r.path === '/slack').map((r) => new TextDecoder().decode(r.body)).join()).toContain('Error rate over threshold');
  });

  test('RequestTracer', async () => {
    const exportedByCustom: TraceSpan[] = [];
    const tracer = new RequestTracer({
      enabled: true,
      sampleRate: 0.1,
      includeHeaders: false,
      includeQueryParams: true,
      includeRequestBody: false,
      includeResponseBody: false,
      exporters: [
        {
          type: 'jaeger',
          endpoint: sink.url, // 'http://jaeger:14268'
          headers: {
            'Authorization': 'Bearer your-token',
          },
        },
        {
          type: 'custom',
          customExporter: async (spans) => {
            // Custom export logic
            console.log('Exporting spans:', spans.length);
            exportedByCustom.push(...spans);
          },
        },
      ],
      propagation: {
        enabled: true,
        headers: ['x-trace-id', 'x-span-id'],
      },
    });
    closers.push(() => tracer.close());
    const router = new Router().use((req, next) => tracer.handle(req, next));

    // Create child spans in your handlers
    router.get('/users/:id', async (req) => {
      const childSpanId = tracer.createChildSpan(req.spanId!, 'database-query');

      if (childSpanId) {
        tracer.addTag(childSpanId, 'db.table', 'users');
        tracer.addTag(childSpanId, 'user.id', req.params.id);

        try {
          const user = await getUserById(req.params.id);
          tracer.addLog(childSpanId, 'info', 'User found');
          tracer.finish(childSpanId, 'ok');

          return Response.json(user);
        } catch (error: any) {
          tracer.addLog(childSpanId, 'error', 'Database error', { error: error.message });
          tracer.finish(childSpanId, 'error', error.message);
          throw error;
        }
      }
    });

    const before = sink.requests.filter((r) => r.path === '/api/traces').length;
    const n = 300;
    const responses = await drive(router, Array.from({ length: n }, (_, i) => `/users/${(i % 3) + 1}`));
    await tracer.flush();
    const spans = exportedByCustom;
    const servers = spans.filter((s) => s.kind === 'server');
    const children = spans.filter((s) => s.name === 'database-query');
    // Traced requests ran the child span; the others fell through (the example returns nothing: 204 here).
    expect(servers.length).toBe(responses.filter((r) => r.status !== 204).length);
    expect(children.length).toBe(servers.length);
    expect(children.filter((s) => s.status === 'error').length).toBe(servers.filter((s) => s.tags['http.target'] === '/users/3').length);
    for (const child of children) {
      const parent = servers.find((s) => s.spanId === child.parentSpanId)!;
      expect(child.traceId).toBe(parent.traceId);
      expect(child.tags['db.table']).toBe('users');
      expect(child.tags['user.id']).toBe(String(parent.tags['http.target']).slice('/users/'.length));
    }
    if (servers.length > 0) {
      expect(sink.requests.filter((r) => r.path === '/api/traces').length).toBeGreaterThan(before);
      expect(consoleLines.some((l) => l.startsWith('Exporting spans:'))).toBe(true);
    }
    // A request whose caller asks for tracing is traced whatever the sample rate.
    const res = await router.fetch(new Request('http://app.test/users/1', { headers: { 'x-trace-id': '4bf92f3577b34da6a3ce929d0e0e4736' } }));
    expect(res.status).toBe(200);
    expect(res.headers.get('traceparent')).toStartWith('00-4bf92f3577b34da6a3ce929d0e0e4736-');
  });
});

describe('Configuration', () => {
  test('Global Configuration', async () => {
    // config.ts
    const config = {
      server: {
        performance: {
          monitoring: {
            enabled: true,
            sampleRate: 0.1,
            storage: { type: 'memory' as const, maxEntries: 10000 },
            alerting: { enabled: true, thresholds: { responseTime: 1000, errorRate: 0.05, memoryUsage: 512 * 1024 * 1024 } },
            profiling: { enabled: true, interval: 5000 },
            tracing: { enabled: true, sampleRate: 0.05 },
          },
        },
      },
    };
    const { monitor, tracer, middlewares } = fromGlobalConfig(config);
    closing(monitor!);
    closing(tracer!);
    expect(middlewares).toEqual([monitor!, tracer!]);
    const router = new Router();
    for (const m of middlewares) router.use(m);
    router.get('/', () => new Response('ok'));
    await drive(router, Array.from({ length: 50 }, () => '/'));
    expect(monitor!.getAggregatedMetrics(60_000).count).toBe(50);
    expect(monitor!.alerting).toBeDefined();
  });

  test('Environment-Specific Configuration', async () => {
    // Production configuration
    const productionConfig = {
      monitoring: {
        enabled: true,
        sampleRate: 0.01, // Lower sampling in production
        storage: { type: 'file' as const, filePath: join(dir, 'var-log-app', 'metrics.jsonl') }, // '/var/log/app/metrics.jsonl'
      },
      tracing: {
        enabled: true,
        sampleRate: 0.001, // Very low sampling for tracing
        exporters: [{ type: 'jaeger' as const, endpoint: process.env.JAEGER_ENDPOINT }],
      },
    };
    // Development configuration
    const developmentConfig = {
      monitoring: { enabled: true, sampleRate: 1.0, storage: { type: 'memory' as const } },
      tracing: { enabled: true, sampleRate: 0.1, exporters: [{ type: 'console' as const }] },
    };
    const production = fromGlobalConfig(productionConfig);
    const development = fromGlobalConfig(developmentConfig);
    for (const m of [...production.middlewares, ...development.middlewares]) closing(m);
    const prodRouter = new Router();
    for (const m of production.middlewares) prodRouter.use(m);
    prodRouter.get('/', () => new Response('ok'));
    const devRouter = new Router();
    for (const m of development.middlewares) devRouter.use(m);
    devRouter.get('/', () => new Response('ok'));
    await drive(prodRouter, Array.from({ length: 100 }, () => '/'));
    await drive(devRouter, Array.from({ length: 40 }, () => '/'));
    expect(production.monitor!.getAggregatedMetrics(60_000).count).toBe(100);
    expect(development.monitor!.getAggregatedMetrics(60_000).count).toBe(40);
    expect(development.monitor!.getMetrics().length).toBe(40); // sampleRate 1.0
  });
});

describe('Usage Examples', () => {
  test('Basic Monitoring Setup', async () => {
    for (const env of ['production', 'development']) {
      process.env.NODE_ENV = env;
      const router = new Router();
      const monitor = closing(performanceMonitor({
        enabled: process.env.NODE_ENV === 'production',
        sampleRate: 0.1,
      }));
      router.use(monitor);
      router.get('/api/users', async () => {
        const users = await db.users.findMany();
        return Response.json(users);
      });
      const responses = await drive(router, ['/api/users', '/api/users', '/api/users']);
      expect(await responses[0]!.json()).toEqual([...users.values()]);
      expect(monitor.getAggregatedMetrics(60_000).count).toBe(env === 'production' ? 3 : 0);
    }
    if (saved.NODE_ENV === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = saved.NODE_ENV;
  });

  test('Advanced Tracing', async () => {
    const router = new Router();
    const tracer = closing(requestTracer({
      enabled: true,
      sampleRate: 0.1,
      includeHeaders: true,
      includeQueryParams: true,
      exporters: [{ type: 'jaeger', endpoint: sink.url }], // 'http://localhost:14268'
    }));
    router.use(tracer);
    router.get('/api/users/:id', async (req) => {
      // Create a span for database operation
      const dbSpanId = tracer.createChildSpan(req.spanId!, 'database-query');

      if (dbSpanId) {
        tracer.addTag(dbSpanId, 'db.operation', 'select');
        tracer.addTag(dbSpanId, 'db.table', 'users');

        try {
          const user = await db.users.findUnique({
            where: { id: req.params.id },
          });

          tracer.addLog(dbSpanId, 'info', 'User query completed');
          tracer.finish(dbSpanId, 'ok');

          if (!user) {
            return new Response('Not Found', { status: 404 });
          }

          return Response.json(user);
        } catch (error: any) {
          tracer.addLog(dbSpanId, 'error', 'Database error', {
            error: error.message,
          });
          tracer.finish(dbSpanId, 'error', error.message);
          throw error;
        }
      }
    });
    // Sampled callers (traceparent flag 01) are always traced: the example's branch runs.
    const sampled = (i: number) => ({ headers: { traceparent: `00-${i.toString(16).padStart(32, 'a')}-00f067aa0ba902b7-01`, authorization: 'Bearer secret' } });
    const found = await router.fetch(new Request('http://app.test/api/users/1?expand=orders', sampled(1)));
    const missing = await router.fetch(new Request('http://app.test/api/users/9', sampled(2)));
    expect(await found.json()).toEqual({ id: '1', name: 'Ada' });
    expect(missing.status).toBe(404);
    await tracer.flush();
    const spans = tracer.getRecentSpans();
    // Server spans are named by route, as OpenTelemetry names them; the path asked is their http.target.
    expect(spans.map((s) => s.name).sort()).toEqual(['GET /api/users/:id', 'GET /api/users/:id', 'database-query', 'database-query']);
    const server = spans.find((s) => s.tags['http.target'] === '/api/users/1')!;
    expect(server.tags['http.query.expand']).toBe('orders');
    expect(server.tags['http.request.header.authorization']).toBe('[REDACTED]');
    expect(spans.filter((s) => s.name === 'database-query').every((s) => s.logs[0]!.message === 'User query completed' && s.tags['db.operation'] === 'select')).toBe(true);
  });
});

describe('Best Practices and Troubleshooting', () => {
  test('Sampling Strategy: counts stay exact at every rate', async () => {
    const productionSampling = { monitoring: 0.01, tracing: 0.001 };
    const stagingSampling = { monitoring: 0.1, tracing: 0.01 };
    const developmentSampling = { monitoring: 1.0, tracing: 0.1 };
    for (const sampling of [productionSampling, stagingSampling, developmentSampling]) {
      const monitor = closing(performanceMonitor({ sampleRate: sampling.monitoring }));
      const tracer = closing(requestTracer({ sampleRate: sampling.tracing }));
      const router = new Router().use(monitor).use(tracer);
      router.get('/', () => new Response('ok'));
      const responses = await drive(router, Array.from({ length: 200 }, () => '/'));
      expect(monitor.getAggregatedMetrics(60_000).count).toBe(200);
      expect(tracer.getRecentSpans().length).toBe(responses.filter((r) => r.headers.has('traceparent')).length);
    }
  });

  test('Storage Configuration', async () => {
    const received: PerformanceMetrics[][] = [];
    const memoryStorage = { type: 'memory' as const, maxEntries: 1000 };
    const fileStorage = { type: 'file' as const, filePath: join(dir, 'storage', 'metrics.jsonl'), maxEntries: 100000 }; // '/var/log/app/metrics.jsonl'
    const customStorage = {
      type: 'custom' as const,
      customHandler: async (metrics: PerformanceMetrics[]) => {
        // Send to external service
        await fetch(`${sink.url}/ingest`, { // 'https://metrics-api.com/ingest'
          method: 'POST',
          body: JSON.stringify(metrics),
        });
        received.push(metrics);
      },
    };
    const monitors = [memoryStorage, fileStorage, customStorage].map((storage) => closing(performanceMonitor({ sampleRate: 1, storage })));
    for (const monitor of monitors) {
      const router = new Router().use(monitor);
      router.get('/s/:n', () => new Response('ok'));
      await drive(router, Array.from({ length: 1500 }, (_, i) => `/s/${i}`));
      await monitor.flush();
    }
    expect(monitors[0]!.getMetrics().length).toBe(1000); // maxEntries
    expect(readMetricsFile(fileStorage.filePath).metrics.length).toBe(1500);
    expect(received.flat().length).toBe(1500);
    const posted = sink.requests.filter((r) => r.path === '/ingest');
    expect(posted.reduce((n, r) => n + (JSON.parse(new TextDecoder().decode(r.body)) as unknown[]).length, 0)).toBe(1500);
  });

  test('Performance Optimization: middleware order', async () => {
    const router = new Router();
    const otherMiddleware = (): Middleware => async (req: EnhancedRequest, next) => {
      const res = await next();
      res.headers.set('x-other', req.traceId ? 'traced' : 'untraced');
      return res;
    };
    const monitor = closing(performanceMonitor({ sampleRate: 0.01 }));
    router.use(monitor); // First
    router.use(closing(requestTracer({ sampleRate: 0.001 }))); // Second
    router.use(otherMiddleware()); // Other middleware
    if (dashboardFactory) router.use(closing(dashboardFactory())); // Last
    router.get('/', () => new Response('ok'));
    const responses = await drive(router, Array.from({ length: 100 }, () => '/'));
    expect(responses.every((r) => r.headers.has('x-other'))).toBe(true);
    expect(monitor.getAggregatedMetrics(60_000).count).toBe(100);
  });

  test('Troubleshooting: High Memory Usage, Missing Traces, Debug Mode', async () => {
    // Reduce sampling rates
    const config = { monitoring: { sampleRate: 0.001 }, tracing: { sampleRate: 0.0001 } };
    // Use file storage instead of memory
    const storage = { type: 'file' as const, filePath: join(dir, 'trouble', 'metrics.jsonl'), maxEntries: 10000 }; // './metrics.jsonl'
    const lowMemory = closing(performanceMonitor({ ...config.monitoring, storage }));
    expect(closing(requestTracer(config.tracing)).getActiveSpans()).toEqual([]);

    // Check sampling rate
    const tracer = closing(requestTracer({
      sampleRate: 0.1, // Increase if too low
      enabled: true, // Ensure it's enabled
    }));
    // Verify exporter configuration
    const exporters = [{ type: 'jaeger' as const, endpoint: sink.url }]; // 'http://jaeger:14268'
    closing(requestTracer({ sampleRate: 0.1, exporters }));

    // Enable debug logging
    const debugLines: string[] = [];
    const monitor = new PerformanceMonitor({
      enabled: true,
      debug: true, // Add debug flag
      storage: {
        type: 'custom',
        customHandler: async (metrics) => {
          console.log('Storing metrics:', metrics.length);
        },
      },
      log: (line) => debugLines.push(line),
    });
    closers.push(() => monitor.close());
    const router = new Router().use(lowMemory).use(tracer).use((req, next) => monitor.handle(req, next));
    router.get('/t', () => new Response('ok'));
    await drive(router, Array.from({ length: 10 }, () => '/t'));
    await monitor.flush();
    expect(lowMemory.getAggregatedMetrics(60_000).count).toBe(10);
    expect(monitor.getAggregatedMetrics(60_000).count).toBe(10);
    expect(consoleLines).toContain('Storing metrics: 10');
    expect(debugLines.filter((l) => l.startsWith('bun-apm [debug]: GET /t 200')).length).toBe(10);
  });
});
