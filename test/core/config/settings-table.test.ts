// The settings table against what the code said before it existed: every default and every range is
// the one the readers held and the README documented (written out here by hand), each setting is
// named once per host, and there is one ConfigError class in src/.
import { describe, expect, test } from 'bun:test';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../../src/core/config/config-error.ts';
import type { Setting } from '../../../src/core/config/setting.ts';
import { SETTING_DOCS } from '../../../src/core/config/settings-docs.ts';
import { SETTINGS } from '../../../src/core/config/settings.ts';
import { ConfigError as EdgeConfigError } from '../../../src/edge/config-error.ts';
import { ConfigError as PreloadConfigError } from '../../../src/plugin/preload/config-env.ts';

const ROOT = join(import.meta.dir, '..', '..', '..');
const MIB = 1024 * 1024;

/** [default, min, max, integer] as each reader had them (undefined: unset by default / no bound). */
type Expected = [unknown, number | undefined, number | undefined, boolean | undefined];

const TODAY: Record<keyof typeof SETTINGS, Record<string, Expected>> = {
  preload: {
    samplesPerSecond: [10, 0, 1_000_000, false],
    tracesPerSecond: [1, 0, 1_000_000, false],
    parentTracesPerSecond: [10, 0, 1_000_000, false],
    routeFairness: [true, undefined, undefined, undefined],
    sampleRate: [undefined, 0, 1, false],
    traceSampleRate: [undefined, 0, 1, false],
    flushIntervalMs: [10_000, 100, 3_600_000, true],
    maxPendingBytes: [16 * MIB, 1024, 2 ** 31, true],
    routeCap: [500, 1, 100_000, true],
    'profiling.enabled': [true, undefined, undefined, undefined],
    'profiling.interval': [5_000, 100, 3_600_000, true],
    serverTiming: ['traced', undefined, undefined, undefined],
    'export.maxAttempts': [5, 1, 20, true],
    'export.initialBackoffMs': [1_000, 0, 600_000, false],
    'export.maxBackoffMs': [30_000, 0, 600_000, false],
    'export.timeoutMs': [10_000, 1, 600_000, false],
    endpoint: [undefined, undefined, undefined, undefined],
    ingestKey: [undefined, undefined, undefined, undefined],
    app: [undefined, undefined, undefined, undefined],
    service: [undefined, undefined, undefined, undefined],
    instance: [undefined, undefined, undefined, undefined],
    config: [undefined, undefined, undefined, undefined],
    disabled: [false, undefined, undefined, undefined],
    debug: [false, undefined, undefined, undefined],
  },
  performanceMonitor: {
    enabled: [true, undefined, undefined, undefined],
    sampleRate: [1, 0, 1, false],
    'storage.maxEntries': [10_000, 1, undefined, true],
    // Unchecked before (any value went through); now held to what works.
    'storage.filePath': ['./metrics.jsonl', undefined, undefined, undefined],
    'storage.batchSize': [100, 1, undefined, true],
    // Unbounded before: a timer runs a delay past 2^31 - 1 ms after 1 ms.
    'storage.flushInterval': [1000, 1, 3_600_000, true],
    'alerting.enabled': [true, undefined, undefined, undefined],
    'alerting.thresholds.responseTime': [undefined, 0, undefined, false],
    'alerting.thresholds.errorRate': [undefined, 0, 1, false],
    'alerting.thresholds.memoryUsage': [undefined, 0, undefined, false],
    'profiling.enabled': [true, undefined, undefined, undefined],
    // Unbounded before: a timer runs a delay past 2^31 - 1 ms after 1 ms.
    'profiling.interval': [5000, 100, 3_600_000, true],
    'profiling.maxProfiles': [1440, 1, undefined, true],
    'retention.maxAgeMs': [24 * 3_600_000, 60_000, undefined, true],
    'retention.maxCells': [50_000, 1, undefined, true],
    debug: [false, undefined, undefined, undefined],
  },
  requestTracer: {
    enabled: [true, undefined, undefined, undefined],
    sampleRate: [1, 0, 1, false],
    includeHeaders: [false, undefined, undefined, undefined],
    includeQueryParams: [true, undefined, undefined, undefined],
    includeRequestBody: [false, undefined, undefined, undefined],
    includeResponseBody: [false, undefined, undefined, undefined],
    maxBodyBytes: [8192, 0, undefined, true],
    'propagation.enabled': [true, undefined, undefined, undefined],
    serviceName: [undefined, undefined, undefined, undefined],
    // Unbounded before: a timer runs a delay past 2^31 - 1 ms after 1 ms.
    spanTimeout: [300_000, 1, 86_400_000, true],
    maxRecentSpans: [1000, 1, undefined, true],
    maxActiveSpans: [10_000, 1, undefined, true],
  },
  performanceAlerting: {
    enabled: [true, undefined, undefined, undefined],
    app: [undefined, undefined, undefined, undefined],
    dashboardUrl: [undefined, undefined, undefined, undefined],
    evaluationInterval: [15_000, 100, 86_400_000, true],
    evaluationDelay: [250, 0, 1000, true],
    maxNotifications: [1000, 1, 1_000_000, true],
    maxSamples: [10_000, 100, 10_000_000, true],
    routeCap: [500, 1, 100_000, true],
    sampleProcess: [true, undefined, undefined, undefined],
    // Unchecked before: 1e300 timed every delivery out after 1 ms (a timer runs a delay past 2^31 - 1 ms at once).
    'delivery.attempts': [3, 1, 20, true],
    'delivery.backoffMs': [1000, 0, 600_000, true],
    'delivery.timeoutMs': [5000, 100, 600_000, true],
  },
  performanceDashboard: {
    enabled: [true, undefined, undefined, undefined],
    path: ['/performance', undefined, undefined, undefined],
    title: ['Performance', undefined, undefined, undefined],
    'authentication.enabled': [true, undefined, undefined, undefined],
    // Unbounded before: a timer runs a delay past 2^31 - 1 ms after 1 ms.
    refreshInterval: [5000, 500, 86_400_000, false],
    app: [undefined, undefined, undefined, undefined],
  },
  // Keyed by var; values in the var's unit, as wrangler.toml and the README give them.
  worker: {
    MAX_BODY_BYTES: [5 * MIB, 1024, 30 * MIB, false],
    MAX_DECOMPRESSED_BYTES: [8 * MIB, 1024, 30 * MIB, false],
    MAX_BATCH_AGE_HOURS: [168, 1, 720, false],
    ROUTE_CAP: [1000, 1, 100_000, false],
    INSTANCE_CAP: [500, 1, 100_000, false],
    TEN_SECOND_RETENTION_HOURS: [3, 2, 48, false],
    TEN_SECOND_ROUTES: [false, undefined, undefined, undefined],
    MINUTE_RETENTION_HOURS: [48, 1, 720, false],
    HOUR_RETENTION_DAYS: [90, 1, 3650, false],
    DETAIL_RETENTION_DAYS: [7, 0.01, 3650, false],
    MAX_SAMPLES: [200_000, 0, 100_000_000, false],
    MAX_SPANS: [500_000, 0, 100_000_000, false],
    MAX_PROFILES: [200_000, 0, 100_000_000, false],
    APDEX_THRESHOLD_MS: [500, 1, 600_000, false],
    INGEST_RATE_LIMIT: [0, 0, 1e9, false],
    MAINTENANCE_INTERVAL_SECONDS: [300, 1, 86_400, false],
    ALERT_RULES: [undefined, undefined, undefined, undefined],
    ALERT_CHANNEL_FILTERS: [undefined, undefined, undefined, undefined],
    DASHBOARD_URL: [undefined, undefined, undefined, undefined],
    PAGERDUTY_URL: [undefined, undefined, undefined, undefined],
    DASHBOARD_PATH: ['/performance', undefined, undefined, undefined],
    // Read as Number(…) || 10000 before; now checked, from the dashboard handler's floor of 500 ms to a day.
    DASHBOARD_REFRESH_MS: [10_000, 500, 86_400_000, true],
    PLAN: [undefined, undefined, undefined, undefined],
    // A count or JSON per app (src/edge/shards.ts parses and bounds each count to 1..64); unset is one store.
    SHARDS: [undefined, undefined, undefined, undefined],
  },
};

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

describe('the settings table', () => {
  for (const [section, expected] of Object.entries(TODAY) as Array<[keyof typeof SETTINGS, Record<string, Expected>]>) {
    test(`${section}: the defaults and ranges of before, and nothing else`, () => {
      const settings: Setting[] = Object.values(SETTINGS[section]);
      const byName = Object.fromEntries(settings.map((s) => [section === 'worker' ? s.env! : s.key, s]));
      expect(Object.keys(byName).sort()).toEqual(Object.keys(expected).sort());
      for (const [name, [value, min, max, integer]] of Object.entries(expected)) {
        const s = byName[name]!;
        expect([name, s.default]).toEqual([name, value]);
        expect([name, s.kind.min, s.kind.max, s.kind.integer]).toEqual([name, min, max, integer]);
      }
    });
  }

  test('every setting has its line of documentation, and nothing else has one', () => {
    for (const [section, settings] of Object.entries(SETTINGS) as Array<[keyof typeof SETTINGS, Record<string, Setting>]>) {
      const docs: Record<string, { doc: string }> = SETTING_DOCS[section];
      expect(Object.keys(docs).sort()).toEqual(Object.keys(settings).sort());
      for (const { doc } of Object.values(docs)) expect(doc).toMatch(/^\S.{4,}\.$/);
    }
  });

  test('each name once per host: keys, and variables across the preload and the Worker', () => {
    for (const section of Object.values(SETTINGS)) {
      const keys = Object.values(section).map((s: Setting) => s.key);
      expect(new Set(keys).size).toBe(keys.length);
    }
    const vars = [...Object.values(SETTINGS.preload), ...Object.values(SETTINGS.worker)].flatMap((s: Setting) => (s.env ? [s.env] : []));
    expect(new Set(vars).size).toBe(vars.length);
    // Every preload variable is BUN_APM_*, every Worker var is not.
    expect(Object.values(SETTINGS.preload).every((s: Setting) => s.env === undefined || s.env.startsWith('BUN_APM_'))).toBe(true);
    expect(Object.values(SETTINGS.worker).every((s: Setting) => s.env !== undefined && !s.env.startsWith('BUN_APM_'))).toBe(true);
  });

  test('the table is runtime-neutral: src/core/config imports no bun:, node: or cloudflare: module', () => {
    for (const file of walk(join(ROOT, 'src', 'core', 'config'))) {
      expect([file, readFileSync(file, 'utf8').match(/from '(bun|node|cloudflare)[:'][^']*'/g)]).toEqual([file, null]);
    }
  });

  test('one ConfigError class in src/, the one every host throws', () => {
    const declaring = walk(join(ROOT, 'src')).filter((file) => /class ConfigError\b/.test(readFileSync(file, 'utf8')));
    expect(declaring.map((file) => file.slice(ROOT.length + 1))).toEqual(['src/core/config/config-error.ts']);
    expect(EdgeConfigError).toBe(ConfigError);
    expect(PreloadConfigError).toBe(ConfigError);
  });
});
