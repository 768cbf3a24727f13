// PerformanceMonitor's options: defaults, and the checks that make a mistake show at construction.
import { ConfigError } from '../../core/config/config-error.ts';
import { MONITOR } from '../../core/config/settings.ts';
import { optionChecks } from '../option-checks.ts';
import type { PerformanceOptions } from '../types.ts';
import { MEMORY_MAX_ENTRIES } from './metrics-storage.ts';

export interface ResolvedMonitorOptions {
  enabled: boolean;
  sampleRate: number;
  memoryMaxEntries: number;
  profiling: { enabled: boolean; interval: number; maxProfiles: number };
  maxAgeMs: number;
  maxCells: number;
  debug: boolean;
  random: () => number;
  /** `alerting.thresholds`, checked even with alerting off: the rules are made from these. */
  thresholds: Thresholds;
}

/** The settings of `alerting.thresholds`. */
export const THRESHOLDS = {
  responseTime: MONITOR.responseTimeThreshold,
  errorRate: MONITOR.errorRateThreshold,
  memoryUsage: MONITOR.memoryUsageThreshold,
};

export type ThresholdMetric = keyof typeof THRESHOLDS;
export type Thresholds = Partial<Record<ThresholdMetric, number>>;

const option = optionChecks('performanceMonitor');

export function resolveMonitorOptions(options: PerformanceOptions): ResolvedMonitorOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError('performanceMonitor: options must be an object');
  const enabled = option(MONITOR.enabled, options.enabled);
  const storage = options.storage ?? {};
  const profiling = options.profiling ?? {};
  const interval = option(MONITOR.profilingInterval, profiling.interval);
  return {
    enabled,
    sampleRate: option(MONITOR.sampleRate, options.sampleRate),
    // For file storage maxEntries is the lines per file; memory then keeps the default number.
    memoryMaxEntries: (storage.type ?? 'memory') === 'memory' ? memoryEntries(option(MONITOR.storageMaxEntries, storage.maxEntries)) : MEMORY_MAX_ENTRIES,
    profiling: { enabled: option(MONITOR.profilingEnabled, profiling.enabled), interval, maxProfiles: option(MONITOR.profilingMaxProfiles, profiling.maxProfiles) },
    maxAgeMs: option(MONITOR.retentionMaxAgeMs, options.retention?.maxAgeMs),
    maxCells: option(MONITOR.retentionMaxCells, options.retention?.maxCells),
    debug: option(MONITOR.debug, options.debug),
    random: options.random ?? Math.random,
    thresholds: checkThresholds(options.alerting?.thresholds),
  };
}

/** The most records memory storage keeps. */
const MEMORY_ENTRIES_CAP = 1_000_000;

/** Memory storage's maxEntries: one over its cap is refused (it had been cut to the cap, silently). */
function memoryEntries(entries: number): number {
  if (entries > MEMORY_ENTRIES_CAP) throw new ConfigError(`performanceMonitor option storage.maxEntries: memory storage keeps at most ${MEMORY_ENTRIES_CAP} records, got ${entries} (storage.type 'file' keeps more, on disk)`);
  return entries;
}

/** Each threshold given, checked whether or not alerting is on: a mistake shows when it is made, not the day alerting is switched on. */
function checkThresholds(given: unknown): Thresholds {
  if (given === undefined) return {};
  if (given === null || typeof given !== 'object' || Array.isArray(given)) {
    throw new ConfigError(`performanceMonitor option alerting.thresholds: expected an object of ${Object.keys(THRESHOLDS).join(', ')}`);
  }
  const thresholds: Thresholds = {};
  for (const metric of Object.keys(THRESHOLDS) as ThresholdMetric[]) {
    const value = option(THRESHOLDS[metric], (given as Record<string, unknown>)[metric]);
    if (value !== undefined) thresholds[metric] = value;
  }
  return thresholds;
}
