// The spec's global configuration (`server.performance.monitoring`, with `tracing` and `profiling`)
// and its environment-specific shape (`{ monitoring, tracing }`), turned into the middlewares.
import { performanceMonitor, type PerformanceMonitorMiddleware } from './performance-monitor.ts';
import { requestTracer, type RequestTracerMiddleware } from './request-tracer.ts';
import type { TracingOptions } from './tracer/tracer-options.ts';
import type { Middleware, PerformanceOptions } from './types.ts';
import { callersMistake } from './callers-mistake.ts';

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
  const flat = 'monitoring' in config ? config : undefined;
  const monitoring = nested ?? flat?.monitoring;
  const tracing = monitoring?.tracing ?? flat?.tracing;
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
