// Resolves the preload's configuration: defaults, then an optional bun-apm.config.ts, then the
// environment (env wins, as twelve-factor apps expect). Any bad value throws a ConfigError naming it.
import { basename, dirname, join, resolve } from 'node:path';
import type { Batch, SamplingPolicy } from '../core/wire-format.ts';
import type { BunApmConfig, ExporterEntry } from '../core/config.ts';
import { ConfigError, configFromEnv, type Env } from './config-env.ts';
import { redactUrl } from './exporters/endpoint-url.ts';

export interface ResolvedConfig {
  /** Base URL without a trailing slash; undefined = collect, ship nowhere. */
  endpoint?: string;
  ingestKey?: string;
  app: string;
  service: string;
  /** Fixed share with detail records; undefined = adaptive (samplesPerSecond). */
  sampleRate?: number;
  /** Fixed share traced; undefined = adaptive (tracesPerSecond). */
  traceSampleRate?: number;
  samplesPerSecond: number;
  tracesPerSecond: number;
  parentTracesPerSecond: number;
  routeFairness: boolean;
  flushIntervalMs: number;
  maxPendingBytes: number;
  routeCap: number;
  profiling: { enabled: boolean; interval: number };
  debug: boolean;
  serverTiming: 'traced' | 'all' | 'off';
  export: { maxAttempts: number; initialBackoffMs: number; maxBackoffMs: number; timeoutMs: number };
  exporters: ExporterEntry[];
  customStorage?: (batch: Batch) => void | Promise<void>;
  /** The file the settings came from, if any (for the startup line). */
  file?: string;
}

export const DEFAULTS = {
  samplesPerSecond: 10,
  tracesPerSecond: 1,
  parentTracesPerSecond: 10,
  flushIntervalMs: 10_000,
  maxPendingBytes: 16 * 1024 * 1024,
  routeCap: 500,
  profilingInterval: 5_000,
  export: { maxAttempts: 5, initialBackoffMs: 1_000, maxBackoffMs: 30_000, timeoutMs: 10_000 },
} as const;

const CONFIG_NAMES = ['bun-apm.config.ts', 'bun-apm.config.js', 'bun-apm.config.mjs'];

/** BUN_APM_CONFIG if set (must exist), else bun-apm.config.* in the working directory, else next to the entry script. */
export async function findConfigFile(env: Env, cwd: string, entry: string | undefined): Promise<string | undefined> {
  if (env.BUN_APM_CONFIG) {
    const file = resolve(cwd, env.BUN_APM_CONFIG);
    if (!(await exists(file))) throw new ConfigError(`BUN_APM_CONFIG=${JSON.stringify(env.BUN_APM_CONFIG)}: no such file`);
    return file;
  }
  const dirs = [cwd];
  if (entry && !entry.startsWith('/$bunfs/')) dirs.push(dirname(entry));
  for (const dir of dirs) {
    for (const name of CONFIG_NAMES) {
      const file = join(dir, name);
      if (await exists(file)) return file;
    }
  }
  return undefined;
}

export async function importConfigFile(file: string): Promise<BunApmConfig> {
  let module: { default?: unknown };
  try {
    module = await import(file);
  } catch (error) {
    throw new ConfigError(`${basename(file)}: could not be loaded (${(error as Error).message})`);
  }
  const config = module.default;
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new ConfigError(`${basename(file)}: expected \`export default defineConfig({ … })\``);
  }
  return config as BunApmConfig;
}

// The preload reads files through Bun.file, never node:fs: every module loaded stays in the app's
// heap for good, and each full garbage collection of the app marks all of it again (node:fs alone
// is ~140 KiB, as much as a whole plain app's heap).
/** Whether `file` exists (a directory too), as node:fs's existsSync says. */
const exists = (file: string): Promise<boolean> => Bun.file(file).stat().then(() => true, () => false);

/** The app's package.json name in `cwd`, else the directory's name. */
export function defaultAppName(cwd: string): string {
  let text: string | undefined;
  try {
    // Synchronous for the middleware's options, so node:fs is loaded here, when called; the preload uses defaultAppNameAsync.
    text = (require('node:fs') as typeof import('node:fs')).readFileSync(join(cwd, 'package.json'), 'utf8');
  } catch {
    // no package.json: the directory name will do
  }
  return appNameOf(text, cwd);
}

/** defaultAppName for the preload, without node:fs. */
async function defaultAppNameAsync(cwd: string): Promise<string> {
  return appNameOf(await Bun.file(join(cwd, 'package.json')).text().catch(() => undefined), cwd);
}

function appNameOf(packageJson: string | undefined, cwd: string): string {
  try {
    const pkg = JSON.parse(packageJson ?? '') as { name?: unknown };
    if (typeof pkg.name === 'string' && pkg.name !== '') return pkg.name;
  } catch {
    // no package.json, or not JSON: the directory name will do
  }
  return basename(cwd) || 'bun-app';
}

function number(name: string, value: unknown, min: number, max: number, integer = false): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    throw new ConfigError(`${name}: expected ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function name(setting: string, value: unknown): string {
  if (typeof value !== 'string' || value.length < 1 || value.length > 128) {
    throw new ConfigError(`${setting}: expected a name of 1 to 128 characters, got ${JSON.stringify(value)}`);
  }
  return value;
}

function endpointUrl(value: unknown): string {
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    throw new ConfigError(`endpoint (BUN_APM_ENDPOINT): expected an http(s) URL, got ${JSON.stringify(redactUrl(String(value)))}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`endpoint (BUN_APM_ENDPOINT): expected an http(s) URL, got ${url.protocol}//…`);
  }
  return url.href.replace(/\/+$/, '');
}

function flag(setting: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new ConfigError(`${setting}: expected true or false, got ${JSON.stringify(value)}`);
  return value;
}

function oneOf<T extends string>(setting: string, value: unknown, allowed: readonly T[]): T {
  if (!(allowed as readonly unknown[]).includes(value)) {
    throw new ConfigError(`${setting}: expected one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}, got ${JSON.stringify(value)}`);
  }
  return value as T;
}

/** Merges file and env over the defaults and checks every value. */
export function resolveConfig(file: BunApmConfig, env: BunApmConfig, cwd: string, appName?: string): ResolvedConfig {
  const merged: BunApmConfig = { ...file, ...env };
  const app = name('app (BUN_APM_APP)', merged.app ?? appName ?? defaultAppName(cwd));
  const profiling = merged.profiling ?? {};
  if (typeof profiling !== 'object') throw new ConfigError('profiling: expected { enabled?, interval? }');
  const exp = merged.export ?? {};
  if (typeof exp !== 'object') throw new ConfigError('export: expected { maxAttempts?, initialBackoffMs?, maxBackoffMs?, timeoutMs? }');
  if (merged.exporters !== undefined && !Array.isArray(merged.exporters)) throw new ConfigError('exporters: expected an array of { type, … }');
  let customStorage: ResolvedConfig['customStorage'];
  if (merged.storage !== undefined) {
    const storage = merged.storage as { type?: unknown; customHandler?: unknown };
    if (storage.type !== 'custom' || typeof storage.customHandler !== 'function') {
      throw new ConfigError("storage: expected { type: 'custom', customHandler: (batch) => … }");
    }
    customStorage = storage.customHandler as ResolvedConfig['customStorage'];
  }
  if (merged.ingestKey !== undefined && (typeof merged.ingestKey !== 'string' || /[\r\n]/.test(merged.ingestKey))) {
    throw new ConfigError('ingestKey (BUN_APM_INGEST_KEY): expected a string on one line');
  }
  return {
    endpoint: merged.endpoint === undefined ? undefined : endpointUrl(merged.endpoint),
    ingestKey: merged.ingestKey,
    app,
    service: name('service (BUN_APM_SERVICE)', merged.service ?? app),
    sampleRate: merged.sampleRate === undefined ? undefined : number('sampleRate (BUN_APM_SAMPLE_RATE)', merged.sampleRate, 0, 1),
    traceSampleRate: merged.traceSampleRate === undefined ? undefined : number('traceSampleRate (BUN_APM_TRACE_SAMPLE_RATE)', merged.traceSampleRate, 0, 1),
    samplesPerSecond: number('samplesPerSecond (BUN_APM_SAMPLES_PER_SECOND)', merged.samplesPerSecond ?? DEFAULTS.samplesPerSecond, 0, 1_000_000),
    tracesPerSecond: number('tracesPerSecond (BUN_APM_TRACES_PER_SECOND)', merged.tracesPerSecond ?? DEFAULTS.tracesPerSecond, 0, 1_000_000),
    parentTracesPerSecond: number('parentTracesPerSecond (BUN_APM_PARENT_TRACES_PER_SECOND)', merged.parentTracesPerSecond ?? DEFAULTS.parentTracesPerSecond, 0, 1_000_000),
    routeFairness: flag('routeFairness (BUN_APM_ROUTE_FAIRNESS)', merged.routeFairness, true),
    flushIntervalMs: number('flushIntervalMs (BUN_APM_FLUSH_INTERVAL_MS)', merged.flushIntervalMs ?? DEFAULTS.flushIntervalMs, 100, 3_600_000, true),
    maxPendingBytes: number('maxPendingBytes (BUN_APM_MAX_PENDING_BYTES)', merged.maxPendingBytes ?? DEFAULTS.maxPendingBytes, 1024, 2 ** 31, true),
    routeCap: number('routeCap', merged.routeCap ?? DEFAULTS.routeCap, 1, 100_000, true),
    profiling: {
      enabled: flag('profiling.enabled', profiling.enabled, true),
      interval: number('profiling.interval', profiling.interval ?? DEFAULTS.profilingInterval, 100, 3_600_000, true),
    },
    debug: flag('debug (BUN_APM_DEBUG)', merged.debug, false),
    serverTiming: oneOf('serverTiming', merged.serverTiming ?? 'traced', ['traced', 'all', 'off'] as const),
    export: {
      maxAttempts: number('export.maxAttempts', exp.maxAttempts ?? DEFAULTS.export.maxAttempts, 1, 20, true),
      initialBackoffMs: number('export.initialBackoffMs', exp.initialBackoffMs ?? DEFAULTS.export.initialBackoffMs, 0, 600_000),
      maxBackoffMs: number('export.maxBackoffMs', exp.maxBackoffMs ?? DEFAULTS.export.maxBackoffMs, 0, 600_000),
      timeoutMs: number('export.timeoutMs', exp.timeoutMs ?? DEFAULTS.export.timeoutMs, 1, 600_000),
    },
    exporters: merged.exporters ?? [],
    customStorage,
  };
}

/** How detail and traces are sampled, as the startup line, `doctor` and the batches say it. */
export function samplingOf(config: Pick<ResolvedConfig, 'sampleRate' | 'traceSampleRate' | 'samplesPerSecond' | 'tracesPerSecond' | 'parentTracesPerSecond' | 'routeFairness'>): SamplingPolicy {
  const policy: SamplingPolicy = {};
  if (config.sampleRate !== undefined) policy.sampleRate = config.sampleRate;
  else policy.samplesPerSecond = config.samplesPerSecond;
  if (config.traceSampleRate !== undefined) policy.traceSampleRate = config.traceSampleRate;
  else policy.tracesPerSecond = config.tracesPerSecond;
  policy.parentTracesPerSecond = config.parentTracesPerSecond;
  if (config.sampleRate === undefined) policy.routeFairness = config.routeFairness;
  return policy;
}

export { describeSampling } from '../core/sampler.ts';

export type LoadedConfig = { disabled: true } | ({ disabled: false } & ResolvedConfig);

/**
 * @example
 * const config = await loadConfig(process.env, process.cwd(), Bun.main);
 * if (!config.disabled) start(config);
 */
export async function loadConfig(env: Env, cwd: string, entry: string | undefined): Promise<LoadedConfig> {
  const fromEnv = configFromEnv(env);
  if (fromEnv.disabled) return { disabled: true };
  const file = await findConfigFile(env, cwd, entry);
  const fromFile = file ? await importConfigFile(file) : {};
  if ((fromEnv.disabled ?? fromFile.disabled) === true) return { disabled: true };
  const appName = (fromEnv.app ?? fromFile.app) === undefined ? await defaultAppNameAsync(cwd) : undefined;
  return { disabled: false, ...resolveConfig(fromFile, fromEnv, cwd, appName), file };
}
