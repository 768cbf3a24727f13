// The exporter entries of the spec's `tracing.exporters` ({ type, endpoint, headers, customExporter })
// and their validation: a bad entry throws at startup with a message naming it, never later.
import type { ExporterEntry } from '../../../core/config.ts';
import { ConfigError } from '../../../core/config/config-error.ts';
import { didYouMean } from '../../../core/config/nearest-name.ts';
import { signalUrl } from './endpoint-url.ts';

export const EXPORTER_TYPES = ['console', 'jaeger', 'zipkin', 'otlp', 'custom', 'edge'] as const satisfies ReadonlyArray<ExporterEntry['type']>;
export type ExporterType = (typeof EXPORTER_TYPES)[number];

/** An exporter entry, as the config file, the environment's defaults and the middleware give it (core/config.ts). */
export type ExporterConfig = ExporterEntry;

/** Where an HTTP exporter falls back to when its entry has no endpoint, as in the spec. */
export const ENDPOINT_ENV: Partial<Record<ExporterType, string>> = { jaeger: 'JAEGER_ENDPOINT', zipkin: 'ZIPKIN_ENDPOINT' };

const SIGNAL_PATH: Partial<Record<ExporterType, string>> = { jaeger: '/api/traces', zipkin: '/api/v2/spans', otlp: '/v1/traces' };

type Env = Record<string, string | undefined>;

const BATCHING_OPTIONS = ['maxQueueSize', 'maxExportBatchSize', 'scheduledDelayMs'] as const;
const HTTP_OPTIONS = ['type', 'endpoint', 'headers', 'retry', ...BATCHING_OPTIONS] as const;

/** The options each type reads: any other name is a mistake (`scheduleDelayMs` had been ignored and the default used). */
const OPTIONS_OF: Record<ExporterType, readonly (keyof ExporterConfig)[]> = {
  console: ['type', ...BATCHING_OPTIONS],
  jaeger: HTTP_OPTIONS,
  zipkin: HTTP_OPTIONS,
  otlp: HTTP_OPTIONS,
  custom: ['type', 'customExporter', 'exportTimeoutMs', ...BATCHING_OPTIONS],
  edge: ['type'], // the preload's own batcher: it takes no options here
};

const RETRY_OPTIONS: readonly (keyof NonNullable<ExporterConfig['retry']>)[] = ['maxAttempts', 'initialBackoffMs', 'maxBackoffMs', 'timeoutMs'];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The longest an exporter's timing option may be, ms: the preload's own export.* settings' bound.
 * Node's and Bun's timers take at most 2^31-1 ms and run anything longer after 1 ms, so an unbounded
 * scheduledDelayMs of 3e9 had sent every span on its own and a maxBackoffMs of 3e9 retried at once.
 */
export const MAX_EXPORTER_MS = 600_000;

/**
 * The most spans an exporter may keep waiting. Unbounded, 1e9 was taken, and with the collector down
 * the queue grew with every request. A server span with five tags takes ~420 bytes of heap (measured),
 * so 100 000 hold an exporter's queue to ~40-100 MB, ~50 times the default (2048); and a longer queue
 * could not go at exit anyway: MAX_EXIT_BYTES (32 MiB) carries about 100 000 of the smallest spans.
 */
export const MAX_QUEUE_SIZE = 100_000;

function checkNumber(value: unknown, name: string, min: number, integer: boolean, max?: number, unit = ''): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || (max !== undefined && value > max) || (integer && !Number.isInteger(value))) {
    const range = max === undefined ? `≥ ${min}` : `from ${min} to ${max}${unit}`;
    const got = typeof value === 'number' ? `, got ${value}` : '';
    throw new Error(`${name} must be ${integer ? 'an integer' : 'a number'} ${range}${got}`);
  }
}

/** A timing option: a number of ms within what a timer can wait. */
function checkMs(value: unknown, name: string, min: number): void {
  checkNumber(value, name, min, false, MAX_EXPORTER_MS, ' (ms)');
}

/** Refuses an option an entry of its type does not read, naming the nearest it does or the types that read it. */
function checkOptionNames(entry: Record<string, unknown>, type: ExporterType): void {
  const known = OPTIONS_OF[type] as readonly string[];
  for (const key of Object.keys(entry)) {
    if (known.includes(key)) continue;
    const readBy = EXPORTER_TYPES.filter((other) => (OPTIONS_OF[other] as readonly string[]).includes(key));
    const hint = readBy.length > 0 ? ` (${readBy.join(', ')} exporters read it)` : didYouMean(key, known);
    const takes = known.length > 1 ? `it takes ${known.join(', ')}` : 'it takes only type';
    throw new Error(`${key} is not an option of ${type} exporters${hint}; ${takes}`);
  }
}

function checkRetryNames(retry: Record<string, unknown>): void {
  for (const key of Object.keys(retry)) {
    if (!(RETRY_OPTIONS as readonly string[]).includes(key)) throw new Error(`retry.${key} is not a retry option${didYouMean(key, RETRY_OPTIONS)}; retry takes ${RETRY_OPTIONS.join(', ')}`);
  }
}

function checkHeaders(headers: unknown): void {
  if (headers === undefined) return;
  if (!isRecord(headers)) throw new Error('headers must be an object of header names to strings');
  for (const [key, value] of Object.entries(headers)) {
    // Only the name goes in the message: the value may well be a token.
    if (typeof value !== 'string') throw new Error(`headers[${JSON.stringify(key)}] must be a string (is it read from an unset environment variable?)`);
  }
  try {
    new Headers(headers as Record<string, string>);
  } catch {
    throw new Error('headers contain an invalid HTTP header name or value');
  }
}

/**
 * Where an entry's spans end up, as far as two entries can be told apart: its type, the URL it
 * POSTs to and the headers it sends (the console is one place; a custom function, none known). The
 * tracer under the preload leaves out its exporters the preload already ships to, so that a backend
 * both name gets each span once: compared as endpoint text, `http://zipkin:9411` and
 * `http://zipkin:9411/` had got each twice. Headers choose the tenant or account on one URL
 * (`X-Scope-OrgID`, `x-honeycomb-team`, another key): left out, two tenants had each got part of the
 * traces. They count by a digest, so the key holds no credential.
 */
export function exporterTarget(config: ExporterConfig, env: Env = process.env): string | undefined {
  if (config.type === 'console' || config.type === 'edge') return config.type;
  if (config.type === 'custom') return undefined;
  const endpoint = resolveEndpoint(config, env) ?? '';
  const headers = Object.entries(config.headers ?? {}).map(([name, value]) => [name.toLowerCase(), String(value).trim()]).sort(([a], [b]) => (a! < b! ? -1 : a! > b! ? 1 : 0));
  const sent = headers.length === 0 ? '' : ` ${Bun.hash(JSON.stringify(headers)).toString(36)}`;
  try {
    return `${config.type} ${signalUrl(endpoint, SIGNAL_PATH[config.type]!)}${sent}`;
  } catch {
    return `${config.type} ${endpoint}${sent}`; // not a URL: refused at creation anyway
  }
}

/** The endpoint an HTTP exporter will use: its own, else its environment variable. */
export function resolveEndpoint(config: ExporterConfig, env: Env): string | undefined {
  if (typeof config.endpoint === 'string' && config.endpoint !== '') return config.endpoint;
  const variable = ENDPOINT_ENV[config.type];
  const fromEnv = variable ? env[variable] : undefined;
  return fromEnv === '' ? undefined : fromEnv;
}

function checkEntry(config: unknown, env: Env, hasEdge: boolean): void {
  if (!isRecord(config)) throw new Error('must be an object like { type: "console" }');
  const type = config.type;
  if (typeof type !== 'string' || !(EXPORTER_TYPES as readonly string[]).includes(type)) {
    throw new Error(`unknown type ${JSON.stringify(type)} (expected one of ${EXPORTER_TYPES.join(', ')})`);
  }
  const entry = config as unknown as ExporterConfig;
  checkOptionNames(config, entry.type);
  checkNumber(entry.maxQueueSize, 'maxQueueSize', 1, true, MAX_QUEUE_SIZE);
  checkNumber(entry.maxExportBatchSize, 'maxExportBatchSize', 1, true);
  checkMs(entry.scheduledDelayMs, 'scheduledDelayMs', 0);
  checkMs(entry.exportTimeoutMs, 'exportTimeoutMs', 1);
  if (entry.retry !== undefined) {
    if (!isRecord(entry.retry)) throw new Error('retry must be an object');
    checkRetryNames(entry.retry);
    checkNumber(entry.retry.maxAttempts, 'retry.maxAttempts', 1, true);
    checkMs(entry.retry.initialBackoffMs, 'retry.initialBackoffMs', 0);
    checkMs(entry.retry.maxBackoffMs, 'retry.maxBackoffMs', 0);
    checkMs(entry.retry.timeoutMs, 'retry.timeoutMs', 1);
  }
  const signalPath = SIGNAL_PATH[entry.type];
  if (signalPath) {
    checkHeaders(entry.headers);
    const endpoint = resolveEndpoint(entry, env);
    const variable = ENDPOINT_ENV[entry.type];
    if (endpoint === undefined) throw new Error(`has no endpoint: set "endpoint"${variable ? ` or ${variable}` : ''}`);
    signalUrl(endpoint, signalPath);
  }
  if (entry.type === 'custom' && typeof entry.customExporter !== 'function') {
    throw new Error('needs customExporter: (spans) => void | Promise<void>');
  }
  if (entry.type === 'edge' && !hasEdge) {
    throw new Error('the edge exporter is only available where the bun-apm preload provides it');
  }
}

/**
 * The preload's refusal of an `edge` entry with nowhere to send, before it starts anything; doctor
 * asks the same, so that it says what the app would.
 */
export function checkEdgeEntry(configs: readonly { type?: unknown }[], hasEndpoint: boolean): void {
  if (!hasEndpoint && configs.some((entry) => entry.type === 'edge')) {
    throw new ConfigError('exporters: an `edge` exporter needs BUN_APM_ENDPOINT (or `endpoint`)');
  }
}

/** Throws the first problem found, prefixed with the entry it is in: `exporters[1] (jaeger): has no endpoint…`. */
export function validateExporterConfigs(configs: unknown, env: Env, hasEdge: boolean): asserts configs is ExporterConfig[] {
  // A ConfigError, as every other option's mistake is (the in-process API's callers may catch it by class).
  if (!Array.isArray(configs)) throw new ConfigError('bun-apm: tracing exporters must be an array of { type, … } entries');
  configs.forEach((config, index) => {
    try {
      checkEntry(config, env, hasEdge);
    } catch (error) {
      const type = isRecord(config) && typeof config.type === 'string' ? ` (${config.type})` : '';
      throw new ConfigError(`bun-apm: exporters[${index}]${type}: ${(error as Error).message}`);
    }
  });
}
