// The options of PerformanceAlerting, their defaults, and the checks that make a mistake show at startup.
import type { AlertChannel } from '../../core/alerts/channel.ts';
import type { AlertRule } from '../../core/alerts/rule.ts';
import { ALERTING } from '../../core/config/settings.ts';
import { defaultAppName } from '../../plugin/runtime/app-name.ts';
import { optionChecks } from '../option-checks.ts';
import type { DeliveryOptions } from './deliver.ts';

export interface AlertingOptions {
  /** Default true. When false nothing is recorded, evaluated or sent (rules and channels can still be managed). */
  enabled?: boolean;
  rules?: AlertRule[];
  channels?: AlertChannel[];
  /** The app's name in notifications (default: the name in ./package.json, else the directory's name, as the preload does). */
  app?: string;
  /** Linked from every notification (http/https). */
  dashboardUrl?: string;
  /** Rules are also evaluated on this period, ms (default 15 000), so time alone can fire `for`, resolve `keepFiringFor` or a heartbeat. */
  evaluationInterval?: number;
  /** addMetrics evaluates at most this long after it was called, ms (default 250, at most 1000). */
  evaluationDelay?: number;
  /** Notifications kept for getAllNotifications (default 1000; the oldest go first). */
  maxNotifications?: number;
  /** Detail records kept for custom evaluators (default 10 000; the oldest go first). */
  maxSamples?: number;
  /** Distinct route templates counted before new ones go to `other` (default 500). */
  routeCap?: number;
  /** Measure this process's RSS, CPU and event-loop lag on each interval tick (default true). */
  sampleProcess?: boolean;
  delivery?: DeliveryOptions;
  /** Where warnings go, one line each (default stderr). */
  log?: (line: string) => void;
  /** Injected clock, ms since the epoch (tests). */
  now?: () => number;
  /** Where SMTP_URL and ALERT_EMAIL_FROM are read (default process.env). */
  env?: Record<string, string | undefined>;
}

export interface ResolvedAlertingOptions {
  enabled: boolean;
  app: string;
  dashboardUrl: string | undefined;
  evaluationInterval: number;
  evaluationDelay: number;
  maxNotifications: number;
  maxSamples: number;
  routeCap: number;
  sampleProcess: boolean;
  delivery: Required<DeliveryOptions>;
  now: () => number;
  env: Record<string, string | undefined>;
}

const option = optionChecks('performanceAlerting');

export function resolveAlertingOptions(options: AlertingOptions): ResolvedAlertingOptions {
  const enabled = option(ALERTING.enabled, options.enabled);
  const env = options.env ?? process.env;
  return {
    enabled,
    app: option(ALERTING.app, options.app) ?? defaultAppName(process.cwd()),
    dashboardUrl: option(ALERTING.dashboardUrl, options.dashboardUrl),
    evaluationInterval: option(ALERTING.evaluationInterval, options.evaluationInterval),
    evaluationDelay: option(ALERTING.evaluationDelay, options.evaluationDelay),
    maxNotifications: option(ALERTING.maxNotifications, options.maxNotifications),
    maxSamples: option(ALERTING.maxSamples, options.maxSamples),
    routeCap: option(ALERTING.routeCap, options.routeCap),
    sampleProcess: option(ALERTING.sampleProcess, options.sampleProcess),
    delivery: {
      attempts: option(ALERTING.deliveryAttempts, options.delivery?.attempts),
      backoffMs: option(ALERTING.deliveryBackoffMs, options.delivery?.backoffMs),
      timeoutMs: option(ALERTING.deliveryTimeoutMs, options.delivery?.timeoutMs),
    },
    now: options.now ?? Date.now,
    env,
  };
}
