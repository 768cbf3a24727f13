// The Worker's vars read into numbers once, checked, with the defaults an operator gets when unset.
import { HOUR_MS, type PlanOptions } from '../core/query/window.ts';
import { ConfigError } from './config-error.ts';
import type { Env } from './env.ts';
import type { RetentionPolicy } from './store/maintenance.ts';
import { parsePlan, type Plan } from '../core/usage/plan.ts';

const DAY = 24 * HOUR_MS;
const MIB = 1024 * 1024;

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
}

type NumberVar = 'MAX_BODY_BYTES' | 'MAX_DECOMPRESSED_BYTES' | 'MAX_BATCH_AGE_HOURS' | 'ROUTE_CAP' | 'INSTANCE_CAP' | 'TEN_SECOND_RETENTION_HOURS' | 'MINUTE_RETENTION_HOURS' | 'HOUR_RETENTION_DAYS'
  | 'DETAIL_RETENTION_DAYS' | 'MAX_SAMPLES' | 'MAX_SPANS' | 'MAX_PROFILES' | 'APDEX_THRESHOLD_MS' | 'INGEST_RATE_LIMIT' | 'MAINTENANCE_INTERVAL_SECONDS';
/** The vars the settings are read from. */
export type SettingsVar = NumberVar | 'PLAN' | 'TEN_SECOND_ROUTES';

function read(env: Pick<Env, NumberVar>, name: NumberVar, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new ConfigError(`${name}: expected a number in ${min}..${max}, got ${JSON.stringify(raw.slice(0, 32))}`);
  }
  return value;
}

function readSwitch(env: Pick<Env, 'TEN_SECOND_ROUTES'>, name: 'TEN_SECOND_ROUTES'): boolean {
  const raw = (env[name] ?? '').trim().toLowerCase();
  if (raw === '' || raw === 'off') return false;
  if (raw === 'on') return true;
  throw new ConfigError(`${name}: expected on or off, got ${JSON.stringify(raw.slice(0, 32))}`);
}

function readPlan(env: Pick<Env, 'PLAN'>): Plan | null {
  try {
    return parsePlan(env.PLAN);
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
}

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

const cache = new WeakMap<Pick<Env, SettingsVar>, Settings>();

/** Reads and checks every var; throws a ConfigError naming the first bad one. */
export function readSettings(env: Pick<Env, SettingsVar>): Settings {
  const cached = cache.get(env);
  if (cached) return cached;
  const settings: Settings = {
    maxBodyBytes: read(env, 'MAX_BODY_BYTES', 5 * MIB, 1024, 100 * MIB),
    maxDecompressedBytes: read(env, 'MAX_DECOMPRESSED_BYTES', 20 * MIB, 1024, 30 * MIB),
    maxBatchAgeMs: read(env, 'MAX_BATCH_AGE_HOURS', 168, 1, 24 * 30) * HOUR_MS,
    routeCap: Math.floor(read(env, 'ROUTE_CAP', 1000, 1, 100_000)),
    instanceCap: Math.floor(read(env, 'INSTANCE_CAP', 500, 1, 100_000)),
    // At least two hours, so the 1 h view is always answered in 10-second cells.
    tenSecondRetentionMs: read(env, 'TEN_SECOND_RETENTION_HOURS', 3, 2, 48) * HOUR_MS,
    minuteRetentionMs: read(env, 'MINUTE_RETENTION_HOURS', 48, 1, 24 * 30) * HOUR_MS,
    hourRetentionMs: read(env, 'HOUR_RETENTION_DAYS', 90, 1, 3650) * DAY,
    detailRetentionMs: read(env, 'DETAIL_RETENTION_DAYS', 7, 0.01, 3650) * DAY,
    maxSamples: Math.floor(read(env, 'MAX_SAMPLES', 200_000, 0, 100_000_000)),
    maxSpans: Math.floor(read(env, 'MAX_SPANS', 500_000, 0, 100_000_000)),
    maxProfiles: Math.floor(read(env, 'MAX_PROFILES', 200_000, 0, 100_000_000)),
    apdexThresholdMs: read(env, 'APDEX_THRESHOLD_MS', 500, 1, 600_000),
    ingestRateLimit: read(env, 'INGEST_RATE_LIMIT', 0, 0, 1e9),
    maintenanceIntervalMs: read(env, 'MAINTENANCE_INTERVAL_SECONDS', 300, 1, 86_400) * 1000,
    plan: readPlan(env),
    tenSecondRoutes: readSwitch(env, 'TEN_SECOND_ROUTES'),
  };
  if (settings.maxDecompressedBytes < settings.maxBodyBytes) {
    throw new ConfigError('MAX_DECOMPRESSED_BYTES: expected at least MAX_BODY_BYTES');
  }
  if (settings.tenSecondRetentionMs > settings.minuteRetentionMs) {
    throw new ConfigError('TEN_SECOND_RETENTION_HOURS: expected no longer than MINUTE_RETENTION_HOURS');
  }
  if (settings.minuteRetentionMs > settings.hourRetentionMs) {
    throw new ConfigError('MINUTE_RETENTION_HOURS: expected no longer than HOUR_RETENTION_DAYS');
  }
  cache.set(env, settings);
  return settings;
}
