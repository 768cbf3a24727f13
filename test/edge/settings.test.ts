// The Worker's settings read straight from vars (the function the Worker and its stores call): every
// var's bounds refused with a ConfigError naming the setting, the var and the range; the defaults of
// before; DASHBOARD_REFRESH_MS and DASHBOARD_PATH checked now; read once per set of values.
import { describe, expect, test } from 'bun:test';
import { ConfigError } from '../../src/core/config/config-error.ts';
import type { Setting } from '../../src/core/config/setting.ts';
import { WORKER } from '../../src/core/config/settings.ts';
import { cachedByVars } from '../../src/edge/config-cache.ts';
import { numericProbes } from '../core/config/probes.ts';
import { thrown } from '../support/config-error.ts';

// settings.ts compiles against the Workers types only (its Env), which this Bun project lacks: it is
// reached by a path tsc does not follow, and typed here by what the test uses.
const SETTINGS_MODULE = '../../src/edge/settings.ts';
const { readSettings } = (await import(SETTINGS_MODULE)) as { readSettings: (env: Record<string, string>) => Record<string, unknown> };

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const MIB = 1024 * 1024;


describe('Worker settings', () => {
  test('defaults: those of wrangler.toml and the README before the table', () => {
    expect(readSettings({})).toEqual({
      maxBodyBytes: 5 * MIB, maxDecompressedBytes: 8 * MIB, maxBatchAgeMs: 168 * HOUR, routeCap: 1000, instanceCap: 500,
      tenSecondRetentionMs: 3 * HOUR, minuteRetentionMs: 48 * HOUR, hourRetentionMs: 90 * DAY, detailRetentionMs: 7 * DAY,
      maxSamples: 200_000, maxSpans: 500_000, maxProfiles: 200_000, apdexThresholdMs: 500, ingestRateLimit: 0,
      maintenanceIntervalMs: 300_000, plan: null, tenSecondRoutes: false, dashboardPath: '/performance', dashboardRefreshMs: 10_000,
    });
  });

  test.each(numericProbes(WORKER as Record<string, Setting>).map(([s, probes]) => [s.env!, s, probes] as const))('%s: inside taken, outside refused naming it', (name, setting, { inside, outside }) => {
    for (const value of inside) {
      let error: unknown;
      try {
        readSettings({ [name]: String(value) });
      } catch (caught) {
        error = caught;
      }
      // At a bound, a rule between two vars may refuse it (MAX_BODY_BYTES above MAX_DECOMPRESSED_BYTES), never this var's range.
      expect([name, value, error instanceof ConfigError ? error.message.includes(`(var ${name}): expected ${setting.kind.accepts}`) : false]).toEqual([name, value, false]);
    }
    for (const value of [...outside, 'lots']) {
      expect(thrown(() => readSettings({ [name]: String(value) })).message).toBe(`${setting.key} (var ${name}): expected ${setting.kind.accepts}, got ${JSON.stringify(String(value))}`);
    }
  });

  test('the exact message an operator sees, and counts rounded down as before', () => {
    expect(thrown(() => readSettings({ ROUTE_CAP: 'lots' })).message).toBe('routeCap (var ROUTE_CAP): expected a number from 1 to 100000 (rounded down), got "lots"');
    expect(readSettings({ ROUTE_CAP: '10.7', MAX_SAMPLES: '99.9' })).toMatchObject({ routeCap: 10, maxSamples: 99 });
    expect(readSettings({ ROUTE_CAP: ' ' }).routeCap).toBe(1000);
  });

  test('rules between vars', () => {
    expect(thrown(() => readSettings({ MAX_BODY_BYTES: String(21 * MIB) })).message).toBe('maxDecompressedBytes (var MAX_DECOMPRESSED_BYTES): expected at least MAX_BODY_BYTES');
    expect(thrown(() => readSettings({ TEN_SECOND_RETENTION_HOURS: '4', MINUTE_RETENTION_HOURS: '3' })).message).toContain('TEN_SECOND_RETENTION_HOURS');
    expect(thrown(() => readSettings({ MINUTE_RETENTION_HOURS: '72', HOUR_RETENTION_DAYS: '2' })).message).toContain('MINUTE_RETENTION_HOURS');
  });

  test('switches, the plan and the dashboard vars', () => {
    expect(readSettings({ TEN_SECOND_ROUTES: ' ON ', PLAN: ' Paid ' })).toMatchObject({ tenSecondRoutes: true, plan: 'paid' });
    expect(readSettings({ TEN_SECOND_ROUTES: '', PLAN: '' })).toMatchObject({ tenSecondRoutes: false, plan: null });
    expect(thrown(() => readSettings({ TEN_SECOND_ROUTES: 'yes' })).message).toBe('tenSecondRoutes (var TEN_SECOND_ROUTES): expected on or off, got "yes"');
    expect(thrown(() => readSettings({ PLAN: 'gold' })).message).toBe('plan (var PLAN): expected one of free, paid, got "gold"');
    expect(readSettings({ DASHBOARD_REFRESH_MS: '2000', DASHBOARD_PATH: '/apm/' })).toMatchObject({ dashboardRefreshMs: 2000, dashboardPath: '/apm/' });
    // Before, `Number(…) || 10000` turned these into 10 s without a word.
    for (const bad of ['soon', '0', '-5', '499', '1500.5']) {
      expect(thrown(() => readSettings({ DASHBOARD_REFRESH_MS: bad })).message).toBe(`dashboardRefreshMs (var DASHBOARD_REFRESH_MS): expected an integer from 500 to 86400000, got ${JSON.stringify(bad)}`);
    }
    expect(thrown(() => readSettings({ DASHBOARD_PATH: 'performance' })).message).toStartWith('dashboardPath (var DASHBOARD_PATH): expected a path starting with /');
  });

  test('read once per set of values; a change is seen; a refusal is not kept', async () => {
    const env = { ROUTE_CAP: '7' };
    expect(readSettings(env)).toBe(readSettings({ ROUTE_CAP: '7' }));
    expect(readSettings({ ROUTE_CAP: '8' }).routeCap).toBe(8);
    let builds = 0;
    const read = cachedByVars(['A'], (vars: { A?: string }) => {
      builds++;
      if (vars.A === 'bad') throw new ConfigError('A: bad');
      return { a: vars.A };
    });
    expect(read({ A: '1' })).toBe(read({ A: '1' }));
    expect(builds).toBe(1);
    expect(() => read({ A: 'bad' })).toThrow('A: bad');
    expect(() => read({ A: 'bad' })).toThrow('A: bad');
    expect(builds).toBe(3);
    const failing = cachedByVars(['A'], async (_vars: { A?: string }) => {
      builds++;
      throw new ConfigError('async bad');
    });
    await expect(failing({})).rejects.toThrow('async bad');
    await expect(failing({})).rejects.toThrow('async bad');
    expect(builds).toBe(5);
  });
});
