// The alert rule engine and notification payloads: runtime-neutral, shared by the edge and the in-process alerting.
export {
  ALERT_CONDITIONS, ALERT_METRICS, ALERT_SEVERITIES, DEFAULT_WINDOW_MS, GAUGE_METRICS, NO_DATA_POLICIES, REQUEST_METRICS,
  compare, resolveRule,
  type AlertCondition, type AlertMetric, type AlertRule, type AlertSeverity, type CustomEvaluator, type NoDataPolicy, type ResolvedRule,
} from './rule.ts';
export { AlertRuleError, assertValidRule, validateRule, validateRuleUpdate, type RuleProblem, type RuleValidation } from './validate-rule.ts';
export { requiredSince, sampleFromDetail, windowStart, type AlertCell, type AlertData, type AlertProfile, type AlertSample } from './alert-data.ts';
export { AlertEngine, dataRequest, type AlertDataSource, type AlertEngineOptions, type DataRequest, type NamedChannel } from './alert-engine.ts';
export type { AlertChange, AlertStore, RoutedNotification, StoredRuleState } from './alert-store.ts';
export { MemoryAlertStore, type MemoryAlertStoreOptions } from './memory-alert-store.ts';
export { Outbox, type OutboxFailure, type OutboxOptions, type OutboxRow, type OutboxRows, type PassReport } from './outbox.ts';
export { channelMessage, type ChannelMessage, type EmailMessage, type MessageOptions, type PostMessage } from './delivery/channel-message.ts';
export { deliverNotification, type DeliveryTransport } from './delivery/deliver-notification.ts';
export { postNotification, type PostOptions } from './delivery/post-notification.ts';
export { AlertDataIndex, type RequestAggregate } from './alert-data-index.ts';
export { SketchCache } from './sketch-cache.ts';
export { computeMetricValue, type MetricReading } from './metric-value.ts';
export { episodeStatus, initialRuleState, isActive, type AlertStatus, type ResolvedBy, type RuleState } from './rule-state.ts';
export { resolveRuleAlert, retireRule, stepRule, type RuleOutcome, type Transition } from './step-rule.ts';
export { evaluateRule, evaluateRules, type Evaluation } from './evaluate-rules.ts';
export { activeAlert } from './active-alert.ts';
export { buildNotification, type AlertNotification, type NotificationContext, type NotificationState } from './notification.ts';
export { describeMetric, formatDuration, formatThreshold, formatTime, formatValue } from './format.ts';
export {
  CHANNEL_TYPES, channelAccepts, channelDestinationMissing, emailList, validateChannel,
  type AlertChannel, type AlertChannelType, type ChannelFilters, type ChannelProblem,
  type EmailChannelConfig, type PagerDutyChannelConfig, type SlackChannelConfig, type WebhookChannelConfig,
} from './channel.ts';
export { channelsFromEnv } from './channels-from-env.ts';
export { slackMessage, type SlackMessage, type SlackOptions } from './payloads/slack.ts';
export {
  WEBHOOK_DELIVERY_HEADER, WEBHOOK_SIGNATURE_HEADER, WEBHOOK_TIMESTAMP_HEADER, WEBHOOK_TOLERANCE_SECONDS,
  signWebhook, verifyWebhookSignature, webhookBody, webhookRequest, type WebhookBody, type WebhookOptions,
} from './payloads/webhook.ts';
export { emailContent, type EmailContent } from './payloads/email.ts';
export { PAGERDUTY_EVENTS_URL, pagerDutyEvent, type PagerDutyEvent, type PagerDutyResolve, type PagerDutyTrigger } from './payloads/pagerduty.ts';
export { escapeHtml } from './payloads/escape.ts';
export type { PayloadOptions } from './payloads/facts.ts';
