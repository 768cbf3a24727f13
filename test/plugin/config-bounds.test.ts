// Every preload setting's bounds, from the environment and from bun-apm.config.ts: values just inside
// are taken, values just outside are refused with a ConfigError naming the setting, where it came
// from and what is accepted; secrets and credentials never appear in the message.
import { describe, expect, test } from 'bun:test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Setting } from '../../src/core/config/setting.ts';
import { PRELOAD } from '../../src/core/config/settings.ts';
import { configFromEnv, disabledByEnv } from '../../src/plugin/preload/config-env.ts';
import { loadConfig, resolveConfig } from '../../src/plugin/preload/load-config.ts';
import { nested, numericProbes } from '../core/config/probes.ts';
import { thrown } from '../support/config-error.ts';

const CWD = mkdtempSync(join(tmpdir(), 'bun-apm-bounds-'));
writeFileSync(join(CWD, 'package.json'), '{"name":"bounds-app"}');


/** The resolved value of a dotted key. */
function valueAt(config: object, key: string): unknown {
  return key.split('.').reduce<unknown>((value, part) => (value as Record<string, unknown>)[part], config);
}

const NUMERIC = numericProbes(PRELOAD);

describe('preload settings from the environment', () => {
  const fromEnv = NUMERIC.filter(([setting]) => setting.env !== undefined);

  test('the numeric variables are the ones documented', () => {
    expect(fromEnv.map(([s]) => s.env).sort()).toEqual([
      'BUN_APM_FLUSH_INTERVAL_MS', 'BUN_APM_MAX_PENDING_BYTES', 'BUN_APM_PARENT_TRACES_PER_SECOND', 'BUN_APM_SAMPLES_PER_SECOND',
      'BUN_APM_SAMPLE_RATE', 'BUN_APM_TRACES_PER_SECOND', 'BUN_APM_TRACE_SAMPLE_RATE',
    ]);
  });

  test.each(fromEnv.map(([s, probes]) => [s.env!, s, probes] as const))('%s: inside taken, outside refused naming it', (name, setting, { inside, outside }) => {
    for (const value of inside) expect(valueAt(configFromEnv({ [name]: ` ${value} ` }), setting.key)).toBe(value);
    for (const value of [...outside, 'lots']) {
      const error = thrown(() => configFromEnv({ [name]: String(value) }));
      expect(error.message).toBe(`${setting.key} (env ${name}): expected ${setting.kind.accepts}, got ${JSON.stringify(String(value))}`);
    }
  });

  test('flags: the words of yes and no, anything else refused', () => {
    for (const setting of [PRELOAD.routeFairness, PRELOAD.debug, PRELOAD.disabled] as Setting[]) {
      for (const word of ['1', 'true', 'YES', 'on']) expect(valueAt(configFromEnv({ [setting.env!]: word }), setting.key)).toBe(true);
      for (const word of ['0', 'false', 'no', 'Off', '']) expect(valueAt(configFromEnv({ [setting.env!]: word }), setting.key)).toBe(false);
      expect(thrown(() => configFromEnv({ [setting.env!]: 'maybe' })).message).toBe(`${setting.key} (env ${setting.env}): expected 1/0, true/false, yes/no or on/off, got "maybe"`);
    }
    expect(disabledByEnv({ BUN_APM_DISABLED: 'yes' })).toBe(true);
    expect(disabledByEnv({})).toBe(false);
  });

  test('the exact message for a sample rate of 2', () => {
    expect(thrown(() => configFromEnv({ BUN_APM_SAMPLE_RATE: '2' })).message).toBe('sampleRate (env BUN_APM_SAMPLE_RATE): expected a number from 0 to 1, got "2"');
    // Number() reads hex, binary and octal: 0x10 had been taken as 16 a second (a review).
    expect(thrown(() => configFromEnv({ BUN_APM_SAMPLES_PER_SECOND: '0x10' })).message).toBe('samplesPerSecond (env BUN_APM_SAMPLES_PER_SECOND): expected a number from 0 to 1000000, got "0x10"');
    expect(thrown(() => configFromEnv({ BUN_APM_FLUSH_INTERVAL_MS: '0b11111010000' })).message).toContain('got "0b11111010000"');
    expect(configFromEnv({ BUN_APM_SAMPLE_RATE: ' .5 ', BUN_APM_SAMPLES_PER_SECOND: '1e3', BUN_APM_FLUSH_INTERVAL_MS: '+2000' })).toMatchObject({ sampleRate: 0.5, samplesPerSecond: 1000, flushIntervalMs: 2000 });
  });

  test('names: empty is unset, 129 characters refused', () => {
    expect(configFromEnv({ BUN_APM_APP: '  ', BUN_APM_SERVICE: '' })).toEqual({});
    expect(configFromEnv({ BUN_APM_APP: ' shop ' })).toEqual({ app: 'shop' });
    expect(thrown(() => configFromEnv({ BUN_APM_SERVICE: 'x'.repeat(129) })).message).toStartWith('service (env BUN_APM_SERVICE): expected a name of 1 to 128 characters, got "xxx');
  });

  test('credentials in the endpoint and the ingest key are never shown', () => {
    const endpoint = thrown(() => configFromEnv({ BUN_APM_ENDPOINT: 'ftp://user:hunter2@edge.example/?token=s3cret' }));
    expect(endpoint.message).toBe('endpoint (env BUN_APM_ENDPOINT): expected an http(s) URL without a query or fragment, got ftp://…');
    // Paths are added to the endpoint: with a query or fragment every batch had gone to `/` (a 404, for good).
    for (const BUN_APM_ENDPOINT of ['http://127.0.0.1:8799/?q=1#x', 'https://edge.example/#', 'https://edge.example?']) {
      expect(thrown(() => configFromEnv({ BUN_APM_ENDPOINT })).message).toBe('endpoint (env BUN_APM_ENDPOINT): expected an http(s) URL without a query or fragment, got http://…'.replace('http:', BUN_APM_ENDPOINT.split('//')[0]!));
    }
    expect(thrown(() => configFromEnv({ BUN_APM_ENDPOINT: 'user:hunter2@nowhere' })).message).not.toContain('hunter2');
    const key = thrown(() => configFromEnv({ BUN_APM_INGEST_KEY: 'secret-key\nX-Injected: 1' }));
    expect(key.message).toBe('ingestKey (env BUN_APM_INGEST_KEY): expected a key of visible ASCII characters on one line, as `bun-apm keys` makes them');
    // Characters an Authorization header cannot carry: each batch had failed as "the edge is unreachable" (a review).
    for (const BUN_APM_INGEST_KEY of ['abc123\u200b', 'ключ-键', '“key”', 'ab\u0001c', 'two words']) {
      expect(thrown(() => configFromEnv({ BUN_APM_INGEST_KEY })).message).toBe('ingestKey (env BUN_APM_INGEST_KEY): expected a key of visible ASCII characters on one line, as `bun-apm keys` makes them');
    }
    expect(configFromEnv({ BUN_APM_ENDPOINT: 'https://edge.example//', BUN_APM_INGEST_KEY: ' k ' })).toEqual({ endpoint: 'https://edge.example', ingestKey: 'k' });
    // A key read from a file ends in a line break: dropped, as the edge drops it from its own copy.
    expect(configFromEnv({ BUN_APM_INGEST_KEY: 'ing_abc\n' })).toEqual({ ingestKey: 'ing_abc' });
    expect(configFromEnv({ BUN_APM_INGEST_KEY: ' \n' })).toEqual({});
  });
});

describe('preload settings from bun-apm.config.ts', () => {
  const fromFile = NUMERIC.filter(([setting]) => setting.inFile !== false);

  test.each(fromFile.map(([s, probes]) => [s.key, s, probes] as const))('%s: inside taken, outside refused naming it', (key, setting, { inside, outside }) => {
    for (const value of inside) expect(valueAt(resolveConfig(nested(key, value), {}, CWD), key)).toBe(value);
    for (const value of [...outside, String(setting.kind.min)]) {
      const error = thrown(() => resolveConfig(nested(key, value), {}, CWD, 'my.config.ts'));
      // Numbers as JavaScript prints them: NaN, not JSON's null.
      expect(error.message).toBe(`${key} (my.config.ts): expected ${setting.kind.accepts}, got ${typeof value === 'number' ? value : JSON.stringify(value)}`);
    }
  });

  test('flags, the Server-Timing choice, names and secrets', () => {
    for (const setting of [PRELOAD.routeFairness, PRELOAD.profilingEnabled, PRELOAD.debug] as Setting[]) {
      expect(valueAt(resolveConfig(nested(setting.key, false), {}, CWD), setting.key)).toBe(false);
      expect(thrown(() => resolveConfig(nested(setting.key, 'yes'), {}, CWD)).message).toBe(`${setting.key} (bun-apm.config.ts): expected true or false, got "yes"`);
    }
    expect(resolveConfig({ serverTiming: 'all' }, {}, CWD).serverTiming).toBe('all');
    // Also from the environment: a production app turns response headers off without a config file.
    expect(resolveConfig({ serverTiming: 'all' }, configFromEnv({ BUN_APM_SERVER_TIMING: 'off' }), CWD).serverTiming).toBe('off');
    expect(thrown(() => resolveConfig({ serverTiming: 'some' as never }, {}, CWD)).message).toBe('serverTiming (bun-apm.config.ts): expected one of traced, all, off, got "some"');
    // The app is an id the edge's keys can name: a name with a space or a scope never got in.
    expect(thrown(() => resolveConfig({ app: 'x'.repeat(65) }, {}, CWD)).message).toStartWith('app (bun-apm.config.ts): expected an app id');
    for (const app of ['', 'my shop', '@acme/shop', '-shop']) {
      expect(thrown(() => resolveConfig({ app }, {}, CWD)).message).toBe(`app (bun-apm.config.ts): expected an app id: 1 to 64 of A-Z a-z 0-9 . _ - (a letter or digit first), got ${JSON.stringify(app)}`);
    }
    expect(resolveConfig({ app: 'shop-api.v2_x' }, {}, CWD).app).toBe('shop-api.v2_x');
    expect(thrown(() => resolveConfig({ ingestKey: 'abc\r\ndef' }, {}, CWD)).message).toBe('ingestKey (bun-apm.config.ts): expected a key of visible ASCII characters on one line, as `bun-apm keys` makes them');
    expect(thrown(() => resolveConfig({ endpoint: 'edge.example' }, {}, CWD)).message).toBe('endpoint (bun-apm.config.ts): expected an http(s) URL without a query or fragment, got "edge.example"');
  });

  test('the environment wins, and a bad file value it overrides is not reported', () => {
    const config = resolveConfig({ sampleRate: 5, flushIntervalMs: 2000 }, configFromEnv({ BUN_APM_SAMPLE_RATE: '0.5' }), CWD);
    expect(config).toMatchObject({ sampleRate: 0.5, flushIntervalMs: 2000 });
  });

  test('defaults: those documented before the table, the app from package.json', () => {
    expect(resolveConfig({}, {}, CWD)).toEqual({
      endpoint: undefined, ingestKey: undefined, app: 'bounds-app', service: 'bounds-app', sampleRate: undefined, traceSampleRate: undefined,
      samplesPerSecond: 10, tracesPerSecond: 1, parentTracesPerSecond: 10, routeFairness: true, flushIntervalMs: 10_000,
      maxPendingBytes: 16 * 1024 * 1024, routeCap: 500, profiling: { enabled: true, interval: 5000 }, debug: false, serverTiming: 'traced',
      export: { maxAttempts: 5, initialBackoffMs: 1000, maxBackoffMs: 30_000, timeoutMs: 10_000 }, exporters: [], customStorage: undefined,
    });
  });

  test('a real file: its name in the message, and BUN_APM_CONFIG named when it is missing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bun-apm-bounds-file-'));
    writeFileSync(join(dir, 'bun-apm.config.ts'), 'export default { export: { maxAttempts: 21 } };');
    await expect(loadConfig({}, dir, undefined)).rejects.toThrow('export.maxAttempts (bun-apm.config.ts): expected an integer from 1 to 20, got 21');
    await expect(loadConfig({ BUN_APM_CONFIG: 'nope.ts' }, dir, undefined)).rejects.toThrow('config (env BUN_APM_CONFIG): expected a path to an existing file, got "nope.ts"');
    writeFileSync(join(dir, 'bun-apm.config.mjs'), 'export default { disabled: "yes" };');
    await expect(loadConfig({ BUN_APM_CONFIG: 'bun-apm.config.mjs' }, dir, undefined)).rejects.toThrow('disabled (bun-apm.config.mjs): expected true or false');
  });
});
