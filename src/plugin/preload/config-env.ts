// Reads the BUN_APM_* environment variables into a partial BunApmConfig, refusing bad values with
// an error that names the variable (the preload turns it into one line on stderr).
import type { BunApmConfig } from '../../core/config.ts';

export type Env = Record<string, string | undefined>;

/** A setting that can't be used; the message names it and says what it should be. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off', '']);

export function parseFlag(name: string, raw: string): boolean {
  const value = raw.trim().toLowerCase();
  if (TRUE.has(value)) return true;
  if (FALSE.has(value)) return false;
  throw new ConfigError(`${name}=${JSON.stringify(raw)}: expected 1/0, true/false, yes/no or on/off`);
}

function parseNumber(name: string, raw: string, min: number, max: number, integer: boolean): number {
  const value = Number(raw.trim());
  if (raw.trim() === '' || !Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    throw new ConfigError(`${name}=${JSON.stringify(raw)}: expected ${integer ? 'an integer' : 'a number'} from ${min} to ${max}`);
  }
  return value;
}

/** Whether monitoring is switched off by the environment, read before anything else is loaded. */
export function disabledByEnv(env: Env): boolean {
  const raw = env.BUN_APM_DISABLED;
  return raw !== undefined && parseFlag('BUN_APM_DISABLED', raw);
}

/** Only the variables that are set; throws ConfigError on the first bad one. */
export function configFromEnv(env: Env): BunApmConfig {
  const config: BunApmConfig = {};
  const text = (name: string) => {
    const raw = env[name];
    return raw === undefined || raw.trim() === '' ? undefined : raw.trim();
  };
  const endpoint = text('BUN_APM_ENDPOINT');
  if (endpoint !== undefined) config.endpoint = endpoint;
  const key = env.BUN_APM_INGEST_KEY;
  if (key !== undefined && key !== '') config.ingestKey = key;
  const app = text('BUN_APM_APP');
  if (app !== undefined) config.app = app;
  const service = text('BUN_APM_SERVICE');
  if (service !== undefined) config.service = service;
  const sample = text('BUN_APM_SAMPLE_RATE');
  if (sample !== undefined) config.sampleRate = parseNumber('BUN_APM_SAMPLE_RATE', sample, 0, 1, false);
  const trace = text('BUN_APM_TRACE_SAMPLE_RATE');
  if (trace !== undefined) config.traceSampleRate = parseNumber('BUN_APM_TRACE_SAMPLE_RATE', trace, 0, 1, false);
  const perSecond = (name: string) => {
    const raw = text(name);
    return raw === undefined ? undefined : parseNumber(name, raw, 0, 1_000_000, false);
  };
  const samples = perSecond('BUN_APM_SAMPLES_PER_SECOND');
  if (samples !== undefined) config.samplesPerSecond = samples;
  const traces = perSecond('BUN_APM_TRACES_PER_SECOND');
  if (traces !== undefined) config.tracesPerSecond = traces;
  const parents = perSecond('BUN_APM_PARENT_TRACES_PER_SECOND');
  if (parents !== undefined) config.parentTracesPerSecond = parents;
  if (env.BUN_APM_ROUTE_FAIRNESS !== undefined) config.routeFairness = parseFlag('BUN_APM_ROUTE_FAIRNESS', env.BUN_APM_ROUTE_FAIRNESS);
  const flush = text('BUN_APM_FLUSH_INTERVAL_MS');
  if (flush !== undefined) config.flushIntervalMs = parseNumber('BUN_APM_FLUSH_INTERVAL_MS', flush, 100, 3_600_000, true);
  const pending = text('BUN_APM_MAX_PENDING_BYTES');
  if (pending !== undefined) config.maxPendingBytes = parseNumber('BUN_APM_MAX_PENDING_BYTES', pending, 1024, 2 ** 31, true);
  if (env.BUN_APM_DEBUG !== undefined) config.debug = parseFlag('BUN_APM_DEBUG', env.BUN_APM_DEBUG);
  if (env.BUN_APM_DISABLED !== undefined) config.disabled = parseFlag('BUN_APM_DISABLED', env.BUN_APM_DISABLED);
  return config;
}
