// Resolves the preload's configuration: defaults, then an optional bun-apm.config.ts, then the
// environment (env wins, as twelve-factor apps expect). Any bad value throws a ConfigError naming it.
import { baseName, dirOf, joinPath, resolvePath } from '../runtime/file-path.ts';
import type { Batch, SamplingPolicy } from '../../core/wire-format.ts';
import type { BunApmConfig, ExporterEntry } from '../../core/config.ts';
import { settingFromFile, settingFromText } from '../../core/config/read-setting.ts';
import type { Setting } from '../../core/config/setting.ts';
import { PRELOAD } from '../../core/config/preload-settings.ts';
import { defaultAppName, defaultAppNameAsync } from '../runtime/app-name.ts';
import { ConfigError, configFromEnv, type Env } from './config-env.ts';
import { unknownSettings } from './unknown-settings.ts';

export { defaultAppName } from '../runtime/app-name.ts';

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
  /** Settings given under names bun-apm does not know (unknown-settings.ts): warned about, not refused. */
  unknown: string[];
}

/** The preload's defaults, as the settings table states them. */
export const DEFAULTS = {
  samplesPerSecond: PRELOAD.samplesPerSecond.default,
  tracesPerSecond: PRELOAD.tracesPerSecond.default,
  parentTracesPerSecond: PRELOAD.parentTracesPerSecond.default,
  flushIntervalMs: PRELOAD.flushIntervalMs.default,
  maxPendingBytes: PRELOAD.maxPendingBytes.default,
  routeCap: PRELOAD.routeCap.default,
  profilingInterval: PRELOAD.profilingInterval.default,
  export: {
    maxAttempts: PRELOAD.exportMaxAttempts.default,
    initialBackoffMs: PRELOAD.exportInitialBackoffMs.default,
    maxBackoffMs: PRELOAD.exportMaxBackoffMs.default,
    timeoutMs: PRELOAD.exportTimeoutMs.default,
  },
} as const;

export const CONFIG_NAMES = ['bun-apm.config.ts', 'bun-apm.config.js', 'bun-apm.config.mjs'];

/** BUN_APM_CONFIG if set (must exist), else bun-apm.config.* in the working directory, else next to the entry script. */
export async function findConfigFile(env: Env, cwd: string, entry: string | undefined): Promise<string | undefined> {
  const named = settingFromText(PRELOAD.config, env, 'env');
  if (named !== undefined) {
    const file = resolvePath(cwd, named);
    if (!(await exists(file))) throw new ConfigError(`config (env BUN_APM_CONFIG): expected ${PRELOAD.config.kind.accepts}, got ${JSON.stringify(named)}`);
    return file;
  }
  const dirs = [cwd];
  if (entry && !entry.startsWith('/$bunfs/')) dirs.push(dirOf(entry));
  for (const dir of dirs) {
    for (const name of CONFIG_NAMES) {
      const file = joinPath(dir, name);
      if (await exists(file)) return file;
    }
  }
  return undefined;
}

// The preload reads files through Bun.file, never node:fs: every module loaded stays in the app's
// heap for good, and each full garbage collection of the app marks all of it again (node:fs alone
// is ~140 KiB, as much as a whole plain app's heap).
/** Whether `file` exists (a directory too), as node:fs's existsSync says. */
const exists = (file: string): Promise<boolean> => Bun.file(file).stat().then(() => true, () => false);

/**
 * `import { defineConfig } from 'bun-apm'` in a config file beside a compiled executable, which has
 * no node_modules to find the package in: the file had failed to load, and the app ran unmonitored
 * (a review). In a compiled executable only (its entry in Bun's `/$bunfs/`), where the package
 * cannot be found from the file, `bun-apm` is a module of the one function a config file takes from
 * it. Elsewhere a module of that name would be the whole process's: an app's own import of the real
 * package, with a config file kept apart (BUN_APM_CONFIG=/etc/…), failed at start (a review).
 */
function provideDefineConfig(file: string, entry: string | undefined): void {
  if (!entry?.startsWith('/$bunfs/')) return;
  try {
    Bun.resolveSync('bun-apm', dirOf(file));
    return;
  } catch {
    // not installed where the file is: provided below
  }
  try {
    Bun.plugin({
      name: 'bun-apm config file',
      setup(build) {
        build.module('bun-apm', () => ({ exports: { defineConfig: (config: BunApmConfig) => config }, loader: 'object' }));
      },
    });
  } catch {
    // no plugins here: the file's own import says why it failed
  }
}

export async function importConfigFile(file: string, entry: string | undefined): Promise<BunApmConfig> {
  let module: { default?: unknown };
  try {
    provideDefineConfig(file, entry);
    module = await import(file);
  } catch (error) {
    throw new ConfigError(`${baseName(file)}: could not be loaded (${(error as Error).message})`);
  }
  const config = module.default;
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new ConfigError(`${baseName(file)}: expected \`export default defineConfig({ … })\``);
  }
  return config as BunApmConfig;
}

/** A key of the config file, dotted when nested (`profiling.interval`). */
function fileValue(file: BunApmConfig, key: string): unknown {
  let value: unknown = file;
  for (const part of key.split('.')) value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[part] : undefined;
  return value;
}

/**
 * Merges file and env over the defaults, checking every value the file gives against the settings
 * table (the environment's were checked as they were read, by configFromEnv).
 */
export function resolveConfig(file: BunApmConfig, env: BunApmConfig, cwd: string, fileName = 'bun-apm.config.ts', appName?: string): Omit<ResolvedConfig, 'unknown'> {
  const structured = (key: 'profiling' | 'export', shape: string) => {
    const value = file[key];
    if (value !== undefined && (typeof value !== 'object' || value === null)) throw new ConfigError(`${key} (${fileName}): expected ${shape}`);
  };
  structured('profiling', '{ enabled?, interval? }');
  structured('export', '{ maxAttempts?, initialBackoffMs?, maxBackoffMs?, timeoutMs? }');
  /** The environment's value, else the file's, else the default. */
  function read<T, D extends T | undefined>(setting: Setting<T, D>): T | D {
    const fromEnv = setting.env === undefined ? undefined : (fileValue(env, setting.key) as T | undefined);
    return fromEnv ?? settingFromFile(setting, fileValue(file, setting.key), fileName) ?? setting.default;
  }
  if (file.exporters !== undefined && !Array.isArray(file.exporters)) throw new ConfigError(`exporters (${fileName}): expected an array of { type, … }`);
  let customStorage: ResolvedConfig['customStorage'];
  if (file.storage !== undefined) {
    const storage = file.storage as { type?: unknown; customHandler?: unknown };
    if (storage.type !== 'custom' || typeof storage.customHandler !== 'function') {
      throw new ConfigError(`storage (${fileName}): expected { type: 'custom', customHandler: (batch) => … }`);
    }
    customStorage = storage.customHandler as ResolvedConfig['customStorage'];
  }
  // A fixed rate and a per-second cap are one choice: a cap the environment sets wins over the
  // file's fixed rate, which had won silently (and a bad rate it overrides is not reported).
  function fixedRate(rate: Setting<number, undefined>, cap: Setting<number, number>): number | undefined {
    const capFromEnv = fileValue(env, rate.key) === undefined && fileValue(env, cap.key) !== undefined;
    return capFromEnv ? undefined : read(rate);
  }
  const app = read(PRELOAD.app) ?? settingFromFile(PRELOAD.app, appName ?? defaultAppName(cwd), 'package.json name')!;
  return {
    endpoint: read(PRELOAD.endpoint),
    ingestKey: read(PRELOAD.ingestKey),
    app,
    service: read(PRELOAD.service) ?? app,
    sampleRate: fixedRate(PRELOAD.sampleRate, PRELOAD.samplesPerSecond),
    traceSampleRate: fixedRate(PRELOAD.traceSampleRate, PRELOAD.tracesPerSecond),
    samplesPerSecond: read(PRELOAD.samplesPerSecond),
    tracesPerSecond: read(PRELOAD.tracesPerSecond),
    parentTracesPerSecond: read(PRELOAD.parentTracesPerSecond),
    routeFairness: read(PRELOAD.routeFairness),
    flushIntervalMs: read(PRELOAD.flushIntervalMs),
    maxPendingBytes: read(PRELOAD.maxPendingBytes),
    routeCap: read(PRELOAD.routeCap),
    profiling: { enabled: read(PRELOAD.profilingEnabled), interval: read(PRELOAD.profilingInterval) },
    debug: read(PRELOAD.debug),
    serverTiming: read(PRELOAD.serverTiming),
    export: {
      maxAttempts: read(PRELOAD.exportMaxAttempts),
      initialBackoffMs: read(PRELOAD.exportInitialBackoffMs),
      maxBackoffMs: read(PRELOAD.exportMaxBackoffMs),
      timeoutMs: read(PRELOAD.exportTimeoutMs),
    },
    exporters: file.exporters ?? [],
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

export { describeSampling } from '../../core/sampler.ts';

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
  const fromFile = file ? await importConfigFile(file, entry) : {};
  const fileName = file ? baseName(file) : 'bun-apm.config.ts';
  if ((fromEnv.disabled ?? settingFromFile(PRELOAD.disabled, fromFile.disabled, fileName)) === true) return { disabled: true };
  const appName = (fromEnv.app ?? fromFile.app) === undefined ? await defaultAppNameAsync(cwd) : undefined;
  return { disabled: false, ...resolveConfig(fromFile, fromEnv, cwd, fileName, appName), file, unknown: unknownSettings(env, fromFile, fileName) };
}
