// Every explicit-API option's bounds: values just inside are taken, values just outside throw a
// ConfigError at construction naming the owner, the option and what is accepted; and the defaults
// are those the constructors had before the settings table.
import { describe, expect, test } from 'bun:test';
import { basename } from 'node:path';
import { ConfigError } from '../../src/core/config/config-error.ts';
import type { Setting } from '../../src/core/config/setting.ts';
import { ALERTING, DASHBOARD, MONITOR, TRACER } from '../../src/core/config/settings.ts';
import { PerformanceAlerting } from '../../src/middleware/performance-alerting.ts';
import { PerformanceDashboard } from '../../src/middleware/performance-dashboard.ts';
import { performanceMonitor } from '../../src/middleware/performance-monitor.ts';
import { requestTracer } from '../../src/middleware/request-tracer.ts';
import { resolveAlertingOptions } from '../../src/middleware/alerting/alerting-options.ts';
import { resolveMonitorOptions } from '../../src/middleware/monitor/monitor-options.ts';
import { thresholdRules } from '../../src/middleware/monitor/threshold-alerting.ts';
import { resolveTracingOptions } from '../../src/middleware/tracer/tracer-options.ts';
import { nested, numericProbes } from '../core/config/probes.ts';
import { thrown } from '../support/config-error.ts';

/** The app name the preload would take here: the repository's package.json name. */
const APP = (await Bun.file(`${process.cwd()}/package.json`).json().catch(() => ({}))).name ?? basename(process.cwd());


const OWNERS = [
  { owner: 'performanceMonitor', settings: MONITOR, resolve: (options: Record<string, any>) => resolveMonitorOptions(options) },
  { owner: 'requestTracer', settings: TRACER, resolve: (options: Record<string, any>) => resolveTracingOptions(options) },
  { owner: 'performanceAlerting', settings: ALERTING, resolve: (options: Record<string, any>) => resolveAlertingOptions(options) },
] as const;

/** Monitor options read where they are used (storage, thresholds) rather than by resolveMonitorOptions. */
const AT_CONSTRUCTION = new Set(['storage.filePath', 'storage.batchSize', 'storage.flushInterval', 'alerting.enabled', 'alerting.thresholds.responseTime', 'alerting.thresholds.errorRate', 'alerting.thresholds.memoryUsage']);
/** A refused value as the error shows it: numbers as JavaScript prints them (NaN, not JSON's null). */
const shown = (value: unknown) => (typeof value === 'number' ? String(value) : JSON.stringify(value));
const resolvedHere = (settings: object) => Object.fromEntries(Object.entries(settings as Record<string, Setting>).filter(([, s]) => !AT_CONSTRUCTION.has(s.key)));

/** Where a key's value lands in the resolved options (memory entries and profiling are renamed or nested). */
function resolvedAt(owner: string, resolved: object, key: string): unknown {
  if (owner === 'performanceMonitor' && key === 'storage.maxEntries') return (resolved as { memoryMaxEntries: number }).memoryMaxEntries;
  if (owner === 'performanceMonitor' && key.startsWith('retention.')) return (resolved as Record<string, unknown>)[key.slice('retention.'.length)];
  return key.split('.').reduce<unknown>((value, part) => (value as Record<string, unknown>)[part], resolved);
}

describe('explicit-API option bounds', () => {
  for (const { owner, settings, resolve } of OWNERS) {
    test.each(numericProbes(resolvedHere(settings)).map(([s, probes]) => [s.key, s, probes] as const))(`${owner} %s: inside taken, outside refused naming it`, (key, setting, { inside, outside }) => {
      for (const value of inside) {
        expect([key, resolvedAt(owner, resolve(nested(key, value)), key)]).toEqual([key, value]);
      }
      for (const value of [...outside, String(setting.kind.min)]) {
        const error = thrown(() => resolve(nested(key, value)));
        expect(error.message).toBe(`${owner} option ${key}: expected ${setting.kind.accepts}, got ${shown(value)}`);
      }
    });

    test(`${owner}: flags refuse anything but true and false`, () => {
      const flags = Object.values(resolvedHere(settings)).filter((s) => s.kind.accepts.startsWith('true or false'));
      expect(flags.length).toBeGreaterThan(0);
      for (const setting of flags) {
        expect(resolvedAt(owner, resolve(nested(setting.key, false)), setting.key)).toBe(false);
        expect(thrown(() => resolve(nested(setting.key, 'yes'))).message).toStartWith(`${owner} option ${setting.key}: expected true or false`);
      }
    });
  }

  test('performanceMonitor storage.maxEntries: memory storage refuses more than 1000000 (it had cut them silently, a review); file storage takes them', () => {
    expect(resolveMonitorOptions({ storage: { maxEntries: 1_000_000 } }).memoryMaxEntries).toBe(1_000_000);
    expect(thrown(() => resolveMonitorOptions({ storage: { maxEntries: 2_000_000 } })).message).toBe("performanceMonitor option storage.maxEntries: memory storage keeps at most 1000000 records, got 2000000 (storage.type 'file' keeps more, on disk)");
    expect(resolveMonitorOptions({ storage: { type: 'file', filePath: '/tmp/x.jsonl', maxEntries: 2_000_000 } }).memoryMaxEntries).toBe(10_000);
  });

  test('performanceMonitor: storage and threshold options, read where they are used, refused at construction', () => {
    const probed = numericProbes(MONITOR as Record<string, Setting>).filter(([s]) => AT_CONSTRUCTION.has(s.key));
    expect(probed.map(([s]) => s.key).sort()).toEqual(['alerting.thresholds.errorRate', 'alerting.thresholds.memoryUsage', 'alerting.thresholds.responseTime', 'storage.batchSize', 'storage.flushInterval']);
    for (const [setting, { outside }] of probed) {
      for (const value of outside) {
        const options = setting.key.startsWith('storage.')
          ? { storage: { type: 'custom' as const, customHandler: () => {}, [setting.key.slice('storage.'.length)]: value } }
          : nested(setting.key, value);
        expect(() => performanceMonitor(options)).toThrow(`performanceMonitor option ${setting.key}: expected ${setting.kind.accepts}, got ${shown(value)}`);
      }
    }
    expect(thresholdRules({ responseTime: 0, errorRate: 0.5 }).map((rule) => [rule.metric, rule.threshold])).toEqual([['responseTime', 0], ['errorRate', 0.5]]);
    expect(() => performanceMonitor({ storage: { type: 'file', filePath: '' } })).toThrow('performanceMonitor option storage.filePath: expected a path of 1 to 4096 characters, got ""');
    expect(() => performanceMonitor({ alerting: { enabled: 'yes' as never, thresholds: { responseTime: 100 } } })).toThrow('performanceMonitor option alerting.enabled: expected true or false');
  });

  test('the constructors throw the same errors, before anything starts', () => {
    expect(() => performanceMonitor({ profiling: { interval: 99 } })).toThrow('performanceMonitor option profiling.interval: expected an integer from 100 to 3600000, got 99');
    expect(() => requestTracer({ spanTimeout: 0 })).toThrow(ConfigError);
    expect(() => new PerformanceAlerting({ evaluationDelay: 5000 })).toThrow('performanceAlerting option evaluationDelay: expected an integer from 0 to 1000, got 5000');
    expect(() => new PerformanceAlerting({ dashboardUrl: 'javascript:alert(1)' })).toThrow('performanceAlerting option dashboardUrl: expected an http(s) URL, got javascript://…');
    expect(() => new PerformanceAlerting({ app: '' })).toThrow('performanceAlerting option app: expected a name of 1 to 128 characters');
    expect(() => new PerformanceDashboard({ refreshInterval: 100 })).toThrow(`performanceDashboard option refreshInterval: expected ${DASHBOARD.refreshInterval.kind.accepts}, got 100`);
    expect(() => new PerformanceDashboard({ path: 'performance' })).toThrow('performanceDashboard option path: expected a path starting with /');
    // Disabled, a dashboard takes no options at all, as before.
    expect(() => new PerformanceDashboard({ enabled: false, refreshInterval: 100 })).not.toThrow();
  });

  test('NaN and Infinity are named as such (an unset variable through Number()), not as JSON null', () => {
    expect(() => performanceMonitor({ sampleRate: Number(undefined) })).toThrow('performanceMonitor option sampleRate: expected a number from 0 to 1, got NaN');
    expect(() => requestTracer({ sampleRate: Infinity })).toThrow('requestTracer option sampleRate: expected a number from 0 to 1, got Infinity');
    expect(() => new PerformanceDashboard({ refreshInterval: -Infinity })).toThrow(`performanceDashboard option refreshInterval: expected ${DASHBOARD.refreshInterval.kind.accepts}, got -Infinity`);
    expect(() => new PerformanceAlerting({ evaluationDelay: NaN })).toThrow('performanceAlerting option evaluationDelay: expected an integer from 0 to 1000, got NaN');
  });

  test('defaults: those the constructors had before the table; one app name for every host', () => {
    const monitor = resolveMonitorOptions({});
    expect({ ...monitor, random: undefined }).toEqual({
      enabled: true, sampleRate: 1, memoryMaxEntries: 10_000, profiling: { enabled: true, interval: 5000, maxProfiles: 1440 },
      maxAgeMs: 86_400_000, maxCells: 50_000, debug: false, random: undefined, thresholds: {},
    });
    const tracer = resolveTracingOptions({});
    expect({ ...tracer, random: undefined }).toEqual({
      enabled: true, sampleRate: 1, includeHeaders: false, includeQueryParams: true, includeRequestBody: false, includeResponseBody: false,
      maxBodyBytes: 8192, propagation: { enabled: true, traceIdHeader: 'x-trace-id', spanIdHeader: 'x-span-id' }, serviceName: APP,
      spanTimeout: 300_000, maxRecentSpans: 1000, maxActiveSpans: 10_000, random: undefined,
    });
    const alerting = resolveAlertingOptions({ env: {} });
    expect({ ...alerting, now: undefined }).toEqual({
      enabled: true, app: APP, dashboardUrl: undefined, evaluationInterval: 15_000, evaluationDelay: 250, maxNotifications: 1000,
      maxSamples: 10_000, routeCap: 500, sampleProcess: true, delivery: { attempts: 3, backoffMs: 1000, timeoutMs: 5000 }, now: undefined, env: {},
    });
  });
});
