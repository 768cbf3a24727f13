// PerformanceMonitor's options: defaults, and the checks that make a mistake show at construction.
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
}

const { integer, fraction, flag } = optionChecks('performanceMonitor');

export function resolveMonitorOptions(options: PerformanceOptions): ResolvedMonitorOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError('performanceMonitor: options must be an object');
  const enabled = flag('enabled', options.enabled, true);
  const storage = options.storage ?? {};
  const profiling = options.profiling ?? {};
  const interval = integer('profiling.interval', profiling.interval, 5000, 100);
  return {
    enabled,
    sampleRate: fraction('sampleRate', options.sampleRate, 1),
    // For file storage maxEntries is the lines per file; memory then keeps the default number.
    memoryMaxEntries: (storage.type ?? 'memory') === 'memory' ? Math.min(integer('storage.maxEntries', storage.maxEntries, MEMORY_MAX_ENTRIES, 1), 1_000_000) : MEMORY_MAX_ENTRIES,
    profiling: { enabled: profiling.enabled ?? true, interval, maxProfiles: integer('profiling.maxProfiles', profiling.maxProfiles, 1440, 1) },
    maxAgeMs: integer('retention.maxAgeMs', options.retention?.maxAgeMs, 24 * 3_600_000, 60_000),
    maxCells: integer('retention.maxCells', options.retention?.maxCells, 50_000, 1),
    debug: options.debug === true,
    random: options.random ?? Math.random,
  };
}
