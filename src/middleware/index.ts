// bun-apm/middleware: the explicit API of the spec (alerting so far; the other classes join here).
export {
  PerformanceAlerting, performanceAlerting, AlertRuleError, verifyWebhookSignature,
  WEBHOOK_DELIVERY_HEADER, WEBHOOK_SIGNATURE_HEADER, WEBHOOK_TIMESTAMP_HEADER,
  type AlertChannel, type AlertCondition, type AlertingOptions, type AlertMetric, type AlertNotification, type AlertRule,
  type AlertSample, type AlertSeverity, type ChannelFilters, type CustomEvaluator, type NoDataPolicy,
  type PerformanceAlertingMiddleware, type PerformanceMetricsInput,
} from './performance-alerting.ts';
