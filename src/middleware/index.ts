// bun-apm/middleware: the explicit API of the spec.
export {
  PerformanceAlerting, performanceAlerting, AlertRuleError, verifyWebhookSignature,
  WEBHOOK_DELIVERY_HEADER, WEBHOOK_SIGNATURE_HEADER, WEBHOOK_TIMESTAMP_HEADER,
  type AlertChannel, type AlertCondition, type AlertingOptions, type AlertMetric, type AlertNotification, type AlertRule,
  type AlertSample, type AlertSeverity, type ChannelFilters, type CustomEvaluator, type NoDataPolicy,
  type PerformanceAlertingMiddleware, type PerformanceMetricsInput,
} from './performance-alerting.ts';
export { PerformanceMonitor, performanceMonitor, type PerformanceMonitorMiddleware } from './performance-monitor.ts';
export { RequestTracer, requestTracer, type RequestTracerMiddleware, type TracingOptions } from './request-tracer.ts';
export { readMetricsFile } from './monitor/file-storage.ts';
export { SENSITIVE_HEADERS } from './tracer/capture.ts';
export { REDACTED } from '../core/redaction/redaction.ts';
export { TIMED_OUT_TAG } from './tracer/span-registry.ts';
export { compose } from './adapters/compose.ts';
export { instrument } from './adapters/instrument.ts';
export { honoMiddleware, type HonoTraceVariables } from './adapters/hono.ts';
export { ConfigError } from '../core/config/config-error.ts';
export { honoRoutes, type HonoRoutesMiddleware } from '../plugin/runtime/routers/hono-routes.ts';
export { bunRouterRoutes } from '../plugin/runtime/routers/bun-router-routes.ts';
export { elysiaRoutes } from '../plugin/runtime/routers/elysia-routes.ts';
export { fromGlobalConfig, type ConfiguredMiddlewares, type GlobalConfig, type MonitoringConfig } from './global-config.ts';
export type { ExporterConfig } from '../plugin/runtime/exporters/exporter-config.ts';
export type {
  AggregatedMetrics, EnhancedRequest, LiveCell, Middleware, MetricsStorageType, NextFunction, PerformanceMetrics,
  PerformanceOptions, StorageOptions, SystemProfile, TraceSpan,
} from './types.ts';
export {
  PerformanceDashboard, performanceDashboard,
  type DashboardOptions, type MetricsHistoryData, type PerformanceDashboardMiddleware,
} from './performance-dashboard.ts';
