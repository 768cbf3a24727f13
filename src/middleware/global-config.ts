// The spec's global configuration (`server.performance.monitoring`, with `tracing` and `profiling`)
// and its environment-specific shape (`{ monitoring, tracing }`), turned into the middlewares.
import { performanceMonitor, type PerformanceMonitorMiddleware } from './performance-monitor.ts';
import { requestTracer, type RequestTracerMiddleware } from './request-tracer.ts';
import type { TracingOptions } from './tracer/tracer-options.ts';
import type { Middleware, PerformanceOptions } from './types.ts';
import { callersMistake } from './callers-mistake.ts';
import { didYouMean } from '../core/config/nearest-name.ts';
import { createLog } from '../plugin/runtime/log.ts';

export type MonitoringConfig = PerformanceOptions & { tracing?: TracingOptions };

export type GlobalConfig =
  | { server?: { performance?: { monitoring?: MonitoringConfig } } }
  | { monitoring?: MonitoringConfig; tracing?: TracingOptions };

export interface ConfiguredMiddlewares {
  monitor: PerformanceMonitorMiddleware | undefined;
  tracer: RequestTracerMiddleware | undefined;
  /** In the spec's recommended order: monitor first, then tracer. */
  middlewares: Middleware[];
}

/**
 * @example
 * const { middlewares, tracer } = fromGlobalConfig(config); // config.server.performance.monitoring
 * for (const m of middlewares) router.use(m);
 */
export function fromGlobalConfig(config: GlobalConfig): ConfiguredMiddlewares {
  if (typeof config !== 'object' || config === null) throw new TypeError('fromGlobalConfig: config must be an object');
  const nested = 'server' in config ? config.server?.performance?.monitoring : undefined;
  const flat = 'monitoring' in config || 'tracing' in config ? (config as { monitoring?: MonitoringConfig; tracing?: TracingOptions }) : undefined;
  const monitoring = nested ?? flat?.monitoring;
  const tracing = monitoring?.tracing ?? flat?.tracing;
  if (monitoring === undefined && tracing === undefined) {
    const misspelt = misspeltSection(config);
    log.warnOnce(`global-config:${misspelt}`, `fromGlobalConfig: the config has no server.performance.monitoring, monitoring or tracing${misspelt}: nothing is monitored`);
  }
  let monitor: PerformanceMonitorMiddleware | undefined;
  let tracer: RequestTracerMiddleware | undefined;
  try {
    if (monitoring !== undefined && monitoring.enabled !== false) {
      const { tracing: _ignored, ...options } = monitoring;
      monitor = performanceMonitor(options);
    }
    tracer = tracing !== undefined && tracing.enabled !== false ? requestTracer(tracing) : undefined;
  } catch (error) {
    throw callersMistake(error, fromGlobalConfig);
  }
  return { monitor, tracer, middlewares: [monitor, tracer].filter((m): m is NonNullable<typeof m> => m !== undefined) };
}

/** Warnings go where bun-apm's others do (stderr): fromGlobalConfig takes no `log`. */
const log = createLog(false);

/** ` (server.performence: did you mean performance?)` for a key on the way to the section that is one misspelt, else ''. */
function misspeltSection(config: object): string {
  const levels: Array<[at: string, holder: unknown, wanted: string[]]> = [['', config, ['server', 'monitoring', 'tracing']]];
  const server = (config as { server?: unknown }).server;
  levels.push(['server.', server, ['performance']]);
  if (server !== null && typeof server === 'object') levels.push(['server.performance.', (server as { performance?: unknown }).performance, ['monitoring']]);
  for (const [at, holder, wanted] of levels) {
    if (holder === null || typeof holder !== 'object') continue;
    for (const key of Object.keys(holder)) {
      const hint = wanted.includes(key) ? '' : didYouMean(key, wanted);
      if (hint !== '') return ` (${at}${key.slice(0, 64)}: ${hint.slice(' ('.length, -')'.length)})`;
    }
  }
  return '';
}
