// The Worker's vars read into numbers once, checked, with the defaults an operator gets when unset:
// the kinds, bounds and defaults are the settings table's (src/core/config/settings.ts).
import { settingFromVar } from '../core/config/read-setting.ts';
import { checkVarBounds } from '../core/config/var-bounds.ts';
import type { Setting } from '../core/config/setting.ts';
import { WORKER } from '../core/config/settings.ts';
import { HOUR_MS, type PlanOptions } from '../core/query/window.ts';
import { cachedByVars } from './config-cache.ts';
import type { Env } from './env.ts';
import type { RetentionPolicy } from './store/maintenance.ts';
import type { Plan } from '../core/usage/plan.ts';

const DAY = 24 * HOUR_MS;

/** The retention part (RetentionPolicy) belongs to the store; the rest is the Worker's. */
export interface Settings extends RetentionPolicy {
  /** Cap on the body as sent (compressed when gzip). */
  maxBodyBytes: number;
  /** Cap on the body once decompressed, so a small gzip bomb can't inflate past it. */
  maxDecompressedBytes: number;
  routeCap: number;
  instanceCap: number;
  apdexThresholdMs: number;
  /** Events per second one app may ingest; 0 = no limit. */
  ingestRateLimit: number;
  maintenanceIntervalMs: number;
  /** The Cloudflare plan (`PLAN` var: free or paid) whose limits usage is shown against; null when unset. */
  plan: Plan | null;
  /**
   * `TEN_SECOND_ROUTES=on`: 10-second rows per route too, not only for the whole app. Each costs
   * about as many SQLite rows written as all of a batch's minute cells (see the README's cost notes).
   */
  tenSecondRoutes: boolean;
  /** Where the dashboard is mounted (`DASHBOARD_PATH`). */
  dashboardPath: string;
  /** How often the dashboard's live mode refreshes, ms (`DASHBOARD_REFRESH_MS`). */
  dashboardRefreshMs: number;
}

/** The vars the settings are read from. */
const SETTINGS_VARS = [
  'MAX_BODY_BYTES', 'MAX_DECOMPRESSED_BYTES', 'MAX_BATCH_AGE_HOURS', 'ROUTE_CAP', 'INSTANCE_CAP', 'TEN_SECOND_RETENTION_HOURS',
  'MINUTE_RETENTION_HOURS', 'HOUR_RETENTION_DAYS', 'DETAIL_RETENTION_DAYS', 'MAX_SAMPLES', 'MAX_SPANS', 'MAX_PROFILES', 'APDEX_THRESHOLD_MS',
  'INGEST_RATE_LIMIT', 'MAINTENANCE_INTERVAL_SECONDS', 'PLAN', 'TEN_SECOND_ROUTES', 'DASHBOARD_PATH', 'DASHBOARD_REFRESH_MS',
] as const satisfies ReadonlyArray<keyof Env>;
export type SettingsVar = (typeof SETTINGS_VARS)[number];

/**
 * How far back each table answers, for a read of the whole app or of routes: per-route reads skip the
 * 10-second table unless TEN_SECOND_ROUTES is on (it then holds the app's totals only).
 */
export function planOptions(settings: Settings, now: number, perRoute: boolean): PlanOptions {
  return {
    now,
    minuteRetentionMs: settings.minuteRetentionMs,
    tenSecondRetentionMs: perRoute && !settings.tenSecondRoutes ? 0 : settings.tenSecondRetentionMs,
  };
}

/** Reads and checks every var (the settings table's kinds and bounds); throws a ConfigError naming the first bad one. */
export const readSettings: (env: Pick<Env, SettingsVar>) => Settings = cachedByVars(SETTINGS_VARS, (env: Pick<Env, SettingsVar>): Settings => {
  const read = <T, D extends T | undefined>(setting: Setting<T, D>) => settingFromVar(setting, env);
  const settings: Settings = {
    maxBodyBytes: read(WORKER.maxBodyBytes),
    maxDecompressedBytes: read(WORKER.maxDecompressedBytes),
    maxBatchAgeMs: read(WORKER.maxBatchAgeHours) * HOUR_MS,
    routeCap: read(WORKER.routeCap),
    instanceCap: read(WORKER.instanceCap),
    tenSecondRetentionMs: read(WORKER.tenSecondRetentionHours) * HOUR_MS,
    minuteRetentionMs: read(WORKER.minuteRetentionHours) * HOUR_MS,
    hourRetentionMs: read(WORKER.hourRetentionDays) * DAY,
    detailRetentionMs: read(WORKER.detailRetentionDays) * DAY,
    maxSamples: read(WORKER.maxSamples),
    maxSpans: read(WORKER.maxSpans),
    maxProfiles: read(WORKER.maxProfiles),
    apdexThresholdMs: read(WORKER.apdexThresholdMs),
    ingestRateLimit: read(WORKER.ingestRateLimit),
    maintenanceIntervalMs: read(WORKER.maintenanceIntervalSeconds) * 1000,
    plan: read(WORKER.plan) ?? null,
    tenSecondRoutes: read(WORKER.tenSecondRoutes),
    dashboardPath: read(WORKER.dashboardPath),
    dashboardRefreshMs: read(WORKER.dashboardRefreshMs),
  };
  checkVarBounds(env);
  return settings;
});
