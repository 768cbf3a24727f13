// Configuration resolution: defaults, file under environment, and every bad value refused with
// an error that names the setting.
import { describe, expect, test } from 'bun:test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configFromEnv } from '../../src/plugin/config-env.ts';
import { DEFAULTS, loadConfig } from '../../src/plugin/load-config.ts';

function appDir(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'bun-apm-config-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

describe('loadConfig', () => {
  test('defaults: the package.json name, sample rates of the issue, 16 MiB, no endpoint', async () => {
    const dir = appDir({ 'package.json': '{"name":"shop"}' });
    const config = await loadConfig({}, dir, undefined);
    expect(config).toMatchObject({
      disabled: false,
      app: 'shop',
      service: 'shop',
      endpoint: undefined,
      sampleRate: 0.1,
      traceSampleRate: 0.01,
      flushIntervalMs: 10_000,
      maxPendingBytes: DEFAULTS.maxPendingBytes,
      serverTiming: 'traced',
    });
  });

  test('bun-apm.config.ts in the app directory, with the environment winning', async () => {
    const dir = appDir({
      'bun-apm.config.ts': "export default { app: 'from-file', sampleRate: 0.5, serverTiming: 'all', profiling: { interval: 1000 } };",
    });
    const config = await loadConfig({ BUN_APM_SAMPLE_RATE: '0.25', BUN_APM_ENDPOINT: 'https://edge.example/' }, dir, undefined);
    expect(config).toMatchObject({ app: 'from-file', sampleRate: 0.25, serverTiming: 'all', endpoint: 'https://edge.example', profiling: { enabled: true, interval: 1000 } });
    expect(config.disabled === false && config.file).toBe(join(dir, 'bun-apm.config.ts'));
  });

  test('the config file next to the entry script is found when the working directory has none', async () => {
    const cwd = appDir();
    const entryDir = appDir({ 'bun-apm.config.ts': "export default { service: 'beside-entry' };" });
    const config = await loadConfig({}, cwd, join(entryDir, 'server.ts'));
    expect(config).toMatchObject({ service: 'beside-entry' });
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
