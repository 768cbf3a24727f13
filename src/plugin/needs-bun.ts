// What `bun-apm/preload` and `bun-apm/middleware` resolve to under Node (package.json's `node`
// condition): they run on Bun's own APIs (Bun.serve, Bun.file), and Node had stopped at their first
// asset import with `Import attribute type "file" is unsupported`, which names nothing of the cause.

// The middleware's names, so that a static `import { PerformanceMonitor } from 'bun-apm/middleware'`
// reaches the message below: Node checks the names an import asks for before it runs the module (a
// review). test/plugin/needs-bun.test.ts keeps the list equal to the middleware's own.
export let AlertRuleError: undefined, ConfigError: undefined, PerformanceAlerting: undefined, PerformanceDashboard: undefined, PerformanceMonitor: undefined,
  REDACTED: undefined, RequestTracer: undefined, SENSITIVE_HEADERS: undefined, TIMED_OUT_TAG: undefined, WEBHOOK_DELIVERY_HEADER: undefined,
  WEBHOOK_SIGNATURE_HEADER: undefined, WEBHOOK_TIMESTAMP_HEADER: undefined, bunRouterRoutes: undefined, compose: undefined, elysiaRoutes: undefined,
  fromGlobalConfig: undefined, honoMiddleware: undefined, honoRoutes: undefined, instrument: undefined, performanceAlerting: undefined,
  performanceDashboard: undefined, performanceMonitor: undefined, readMetricsFile: undefined, requestTracer: undefined, verifyWebhookSignature: undefined;

throw new Error("bun-apm's preload and middleware run on Bun: start the app with `bun` (https://bun.sh), e.g. `bun --preload bun-apm/preload app.ts`");
