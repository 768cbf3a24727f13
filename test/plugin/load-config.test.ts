// Configuration resolution: defaults, file under environment, and every bad value refused with
// an error that names the setting.
import { describe, expect, test } from 'bun:test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configFromEnv } from '../../src/plugin/preload/config-env.ts';
import { validateBatch } from '../../src/core/validate-batch.ts';
import { DEFAULTS, describeSampling, loadConfig, samplingOf } from '../../src/plugin/preload/load-config.ts';
import { makeBatch } from '../support/batch.ts';

function appDir(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'bun-apm-config-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

describe('loadConfig', () => {
  test('defaults: the package.json name, adaptive sampling, 16 MiB, no endpoint', async () => {
    const dir = appDir({ 'package.json': '{"name":"shop"}' });
    const config = await loadConfig({}, dir, undefined);
    expect(config).toMatchObject({
      disabled: false,
      app: 'shop',
      service: 'shop',
      endpoint: undefined,
      sampleRate: undefined,
      traceSampleRate: undefined,
      samplesPerSecond: 10,
      tracesPerSecond: 1,
      parentTracesPerSecond: 10,
      routeFairness: true,
      flushIntervalMs: 10_000,
      maxPendingBytes: DEFAULTS.maxPendingBytes,
      serverTiming: 'traced',
    });
  });

  test('the default app is package.json\'s name as an app id (the edge refused `@acme/shop api`); BUN_APM_APP must be one', async () => {
    const config = await loadConfig({}, appDir({ 'package.json': '{"name":"@acme/shop api"}' }), undefined);
    expect(config).toMatchObject({ app: 'shop-api', service: 'shop-api' });
    await expect(loadConfig({ BUN_APM_APP: 'my shop' }, appDir(), undefined)).rejects.toThrow('app (env BUN_APM_APP): expected an app id: 1 to 64 of A-Z a-z 0-9 . _ - (a letter or digit first), got "my shop"');
  });

  test('bun-apm.config.ts in the app directory, with the environment winning', async () => {
    const dir = appDir({
      'bun-apm.config.ts': "export default { app: 'from-file', sampleRate: 0.5, serverTiming: 'all', profiling: { interval: 1000 } };",
    });
    const config = await loadConfig({ BUN_APM_SAMPLE_RATE: '0.25', BUN_APM_ENDPOINT: 'https://edge.example/' }, dir, undefined);
    expect(config).toMatchObject({ app: 'from-file', sampleRate: 0.25, serverTiming: 'all', endpoint: 'https://edge.example', profiling: { enabled: true, interval: 1000 } });
    expect(config.disabled === false && config.file).toBe(join(dir, 'bun-apm.config.ts'));
  });

  test('an endpoint given as the ingest URL itself is taken for the edge\'s base (batches had gone to …/v1/ingest/v1/ingest)', async () => {
    for (const given of ['https://edge.example/v1/ingest', 'https://edge.example/v1/ingest/', 'https://edge.example/apm/v1/ingest']) {
      const config = await loadConfig({ BUN_APM_ENDPOINT: given }, appDir(), undefined);
      expect(config.disabled === false && config.endpoint).toBe(given.includes('/apm/') ? 'https://edge.example/apm' : 'https://edge.example');
    }
    const other = await loadConfig({ BUN_APM_ENDPOINT: 'https://edge.example/v1/ingestion' }, appDir(), undefined);
    expect(other.disabled === false && other.endpoint).toBe('https://edge.example/v1/ingestion');
  });

  test('a setting under a name bun-apm does not know is named, with the nearest real one; the rest of the settings still apply', async () => {
    const dir = appDir({ 'bun-apm.config.ts': "export default { sampelRate: 0.5, flushIntervalMs: 2000, profiling: { intervall: 100 }, export: { maxAttempts: 2 } };" });
    const config = await loadConfig({ BUN_APM_SAMPEL_RATE: '0.5', BUN_APM_TRACES_PER_SECODN: '5', BUN_APM_COLOUR: 'blue', BUN_APM_APP: 'shop', PATH: '/bin' }, dir, undefined);
    if (config.disabled) throw new Error('disabled');
    expect(config).toMatchObject({ app: 'shop', flushIntervalMs: 2000, sampleRate: undefined, tracesPerSecond: 1, export: { maxAttempts: 2 } });
    expect(config.unknown).toEqual([
      'BUN_APM_SAMPEL_RATE is no bun-apm setting and is ignored (did you mean BUN_APM_SAMPLE_RATE?)',
      'BUN_APM_TRACES_PER_SECODN is no bun-apm setting and is ignored (did you mean BUN_APM_TRACES_PER_SECOND?)',
      'BUN_APM_COLOUR is no bun-apm setting and is ignored',
      'sampelRate (bun-apm.config.ts) is no bun-apm setting and is ignored (did you mean sampleRate?)',
      'profiling.intervall (bun-apm.config.ts) is no bun-apm setting and is ignored (did you mean profiling.interval?)',
    ]);
  });

  test('every BUN_APM_ name bun-apm reads anywhere is one the preload knows (it would warn about its own)', async () => {
    const names = new Set<string>();
    for (const dir of ['src', 'scripts', 'examples']) {
      for await (const file of new Bun.Glob('**/*.{ts,tsx,js,mjs}').scan(join(import.meta.dir, '../..', dir))) {
        if (file.endsWith('unknown-settings.ts')) continue; // its example is a misspelling
        for (const name of (await Bun.file(join(import.meta.dir, '../..', dir, file)).text()).match(/BUN_APM_[A-Z_]*[A-Z]/g) ?? []) names.add(name);
      }
    }
    expect(names.size).toBeGreaterThan(15);
    const env = Object.fromEntries([...names].map((name) => [name, '']));
    const config = await loadConfig({ ...env, BUN_APM_DISABLED: undefined, BUN_APM_CONFIG: undefined, BUN_APM_APP: 'shop' }, appDir(), undefined);
    expect(config.disabled === false && config.unknown).toEqual([]);
  });

  test('the config file next to the entry script is found when the working directory has none', async () => {
    const cwd = appDir();
    const entryDir = appDir({ 'bun-apm.config.ts': "export default { service: 'beside-entry' };" });
    const config = await loadConfig({}, cwd, join(entryDir, 'server.ts'));
    expect(config).toMatchObject({ service: 'beside-entry' });
  });

  test('sampling: adaptive by default, a fixed rate wins where it is set, and the batches say which', async () => {
    const dir = appDir({ 'bun-apm.config.ts': 'export default { samplesPerSecond: 25, routeFairness: false };' });
    const adaptive = await loadConfig({ BUN_APM_TRACES_PER_SECOND: '0.5' }, dir, undefined);
    if (adaptive.disabled) throw new Error('unexpected');
    expect(samplingOf(adaptive)).toEqual({ samplesPerSecond: 25, tracesPerSecond: 0.5, parentTracesPerSecond: 10, routeFairness: false });
    const fixed = await loadConfig({ BUN_APM_SAMPLE_RATE: '0.1', BUN_APM_PARENT_TRACES_PER_SECOND: '3' }, dir, undefined);
    if (fixed.disabled) throw new Error('unexpected');
    expect(samplingOf(fixed)).toEqual({ sampleRate: 0.1, tracesPerSecond: 1, parentTracesPerSecond: 3 });
    expect(describeSampling(samplingOf(fixed))).toBe("detail 0.1 of requests, traces ≤ 1/s, callers' traces ≤ 3/s");
    expect(validateBatch({ ...makeBatch(), identity: { ...makeBatch().identity, sampling: samplingOf(adaptive) } }).ok).toBe(true);
    expect(validateBatch({ ...makeBatch(), identity: { ...makeBatch().identity, sampling: { sampleRate: 2 } } }).ok).toBe(false);
  });

  test('a per-second cap in the environment wins over a fixed rate in the file (it had been dropped silently, a review)', async () => {
    const dir = appDir({ 'bun-apm.config.ts': 'export default { sampleRate: 0.1, traceSampleRate: 0.2 };' });
    const fromEnv = await loadConfig({ BUN_APM_SAMPLES_PER_SECOND: '20', BUN_APM_TRACES_PER_SECOND: '5' }, dir, undefined);
    if (fromEnv.disabled) throw new Error('unexpected');
    expect(samplingOf(fromEnv)).toEqual({ samplesPerSecond: 20, tracesPerSecond: 5, parentTracesPerSecond: 10, routeFairness: true });
    const fileOnly = await loadConfig({}, dir, undefined);
    if (fileOnly.disabled) throw new Error('unexpected');
    expect(samplingOf(fileOnly)).toEqual({ sampleRate: 0.1, traceSampleRate: 0.2, parentTracesPerSecond: 10 });
    const bothInEnv = await loadConfig({ BUN_APM_SAMPLES_PER_SECOND: '20', BUN_APM_SAMPLE_RATE: '0.3' }, dir, undefined);
    if (bothInEnv.disabled) throw new Error('unexpected');
    expect(samplingOf(bothInEnv)).toEqual({ sampleRate: 0.3, traceSampleRate: 0.2, parentTracesPerSecond: 10 });
  });

  test('disabled by the file unless the environment says otherwise', async () => {
    const dir = appDir({ 'bun-apm.config.ts': 'export default { disabled: true };' });
    expect(await loadConfig({}, dir, undefined)).toEqual({ disabled: true });
    expect((await loadConfig({ BUN_APM_DISABLED: '0' }, dir, undefined)).disabled).toBe(false);
  });

  test.each([
    [{ BUN_APM_SAMPLE_RATE: '1.5' }, 'BUN_APM_SAMPLE_RATE'],
    [{ BUN_APM_SAMPLE_RATE: 'ten percent' }, 'BUN_APM_SAMPLE_RATE'],
    [{ BUN_APM_TRACE_SAMPLE_RATE: '-0.1' }, 'BUN_APM_TRACE_SAMPLE_RATE'],
    [{ BUN_APM_FLUSH_INTERVAL_MS: '10' }, 'BUN_APM_FLUSH_INTERVAL_MS'],
    [{ BUN_APM_FLUSH_INTERVAL_MS: '1000.5' }, 'BUN_APM_FLUSH_INTERVAL_MS'],
    [{ BUN_APM_MAX_PENDING_BYTES: '12' }, 'BUN_APM_MAX_PENDING_BYTES'],
    [{ BUN_APM_DEBUG: 'sometimes' }, 'BUN_APM_DEBUG'],
    [{ BUN_APM_DISABLED: 'nah' }, 'BUN_APM_DISABLED'],
    [{ BUN_APM_SAMPLES_PER_SECOND: '-1' }, 'BUN_APM_SAMPLES_PER_SECOND'],
    [{ BUN_APM_TRACES_PER_SECOND: 'lots' }, 'BUN_APM_TRACES_PER_SECOND'],
    [{ BUN_APM_PARENT_TRACES_PER_SECOND: 'Infinity' }, 'BUN_APM_PARENT_TRACES_PER_SECOND'],
    [{ BUN_APM_ROUTE_FAIRNESS: 'maybe' }, 'BUN_APM_ROUTE_FAIRNESS'],
  ])('%o is refused, naming %s', (env, name) => {
    expect(() => configFromEnv(env)).toThrow(name);
  });

  test.each([
    ['export default { sampleRate: "0.5" };', 'sampleRate'],
    ['export default { app: "" };', 'app'],
    ['export default { endpoint: "edge.example" };', 'endpoint'],
    ['export default { profiling: { interval: 5 } };', 'profiling.interval'],
    ['export default { storage: { type: "file" } };', 'storage'],
    ['export default { exporters: { type: "console" } };', 'exporters'],
    ['export default { export: { maxAttempts: 0 } };', 'export.maxAttempts'],
    ['export default { serverTiming: true };', 'serverTiming'],
  ])('file %s is refused, naming %s', async (source, name) => {
    const dir = appDir({ 'bun-apm.config.ts': source });
    await expect(loadConfig({}, dir, undefined)).rejects.toThrow(name);
  });
});
