// The options of PerformanceAlerting, their defaults, and the checks that make a mistake show at startup.
import type { AlertChannel } from '../../core/alerts/channel.ts';
import type { AlertRule } from '../../core/alerts/rule.ts';
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
  now: () => number;
  env: Record<string, string | undefined>;
}

const { integer, flag } = optionChecks('performanceAlerting');

export function resolveAlertingOptions(options: AlertingOptions): ResolvedAlertingOptions {
  const enabled = flag('enabled', options.enabled, true);
  if (options.app !== undefined && (typeof options.app !== 'string' || options.app === '')) throw new TypeError('performanceAlerting: app must be a non-empty string');
  if (options.dashboardUrl !== undefined && !/^https?:\/\//.test(String(options.dashboardUrl))) {
    throw new TypeError('performanceAlerting: dashboardUrl must be an http(s) URL');
  }
  const env = options.env ?? process.env;
  return {
    enabled,
    app: options.app ?? defaultAppName(process.cwd()),
    dashboardUrl: options.dashboardUrl,
    evaluationInterval: integer('evaluationInterval', options.evaluationInterval, 15_000, 100, 86_400_000),
    evaluationDelay: integer('evaluationDelay', options.evaluationDelay, 250, 0, 1000),
    maxNotifications: integer('maxNotifications', options.maxNotifications, 1000, 1, 1_000_000),
    maxSamples: integer('maxSamples', options.maxSamples, 10_000, 100, 10_000_000),
    routeCap: integer('routeCap', options.routeCap, 500, 1, 100_000),
    sampleProcess: options.sampleProcess ?? true,
    now: options.now ?? Date.now,
    env,
  };
}
