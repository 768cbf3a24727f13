// The app's BUN_APM_INGEST_KEY and BUN_APM_APP as the CLI takes them from .env into INGEST_KEYS:
// refused unless Bun (which loads .env for the app) and the edge read them the same (found by a
// review: `ing_S3cret$tuff99` reached INGEST_KEYS whole while Bun gave the app `ing_S3cret`, and
// `k3y,with,commas` made the whole edge answer 500).
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { APP_ID } from '../../../src/core/app-id.ts';
import { parseDotEnv } from '../../../src/plugin/cli/dot-env.ts';
import { edgeInit } from '../../../src/plugin/cli/edge-init.ts';
import { initApp } from '../../../src/plugin/cli/init.ts';
import { edgeKeys, newIngestKey } from '../../../src/plugin/cli/keys.ts';
import { defaultAppName } from '../../../src/plugin/runtime/app-name.ts';
import { installPackageStandIn } from './support/installed-package.ts';

const ROOT = join(import.meta.dir, '..', '..', '..');
const CLI = join(ROOT, 'src', 'plugin', 'cli', 'main.ts');

/** An app with `env` as its .env and a stand-in for the installed package (what edge init reads of it). */
function appWith(env: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'bun-apm-env-values-'));
  installPackageStandIn(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'shop' }));
  writeFileSync(join(dir, '.env'), env);
  return dir;
}

async function keysCommand(dir: string): Promise<{ code: number; out: string; err: string }> {
  const proc = Bun.spawn([process.execPath, CLI, 'keys'], { cwd: dir, stdout: 'pipe', stderr: 'pipe' });
  const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  return { code: await proc.exited, out, err };
}

describe('BUN_APM_INGEST_KEY from .env', () => {
  const unsafe: Array<[string, string]> = [
    ['ing_S3cret$tuff99', '$'], ['k3y,with,commas', ','], ['"ing a" # note', ' '],
    ['ing_a\\nb', '\\'], ["ing_a'b", "'"],
  ];
  for (const [key, character] of unsafe) {
    test(`${JSON.stringify(key)} is refused by init, edge init and keys, naming ${JSON.stringify(character)}, and nothing is written`, async () => {
      const env = `BUN_APM_APP=shop\nBUN_APM_INGEST_KEY=${key}\nBUN_APM_ENDPOINT=http://127.0.0.1:8787\n`;
      const dir = appWith(env);
      const before = readdirSync(dir).sort();
      const message = `BUN_APM_INGEST_KEY in .env holds ${JSON.stringify(character)}`;
      expect(() => initApp(dir)).toThrow(message);
      expect(() => edgeInit(dir)).toThrow(message);
      expect(() => edgeKeys(dir, join(dir, 'edge'), [], true)).toThrow(message);
      expect(readdirSync(dir).sort()).toEqual(before);
      expect(readFileSync(join(dir, '.env'), 'utf8')).toBe(env);
      const keys = await keysCommand(dir);
      expect(keys.code).toBe(1);
      expect(keys.err).toContain(message);
      expect(keys.err).toContain('run `bunx bun-apm init` for a new key');
      expect(keys.out).not.toContain('INGEST_KEYS');
    });
  }

  test('the keys init and keys make pass, and Bun reads such keys from .env exactly as the CLI does', async () => {
    const generated = Array.from({ length: 200 }, newIngestKey);
    const dir = appWith('');
    for (const key of [...generated.slice(0, 20), 'A-Za-z0-9._~']) {
      writeFileSync(join(dir, '.env'), `BUN_APM_APP=shop\nBUN_APM_INGEST_KEY=${key}\n`);
      expect(edgeKeys(dir, join(dir, 'edge'), [], false).secrets.INGEST_KEYS).toBe(`shop:${key}`);
    }
    for (const key of generated) {
      writeFileSync(join(dir, '.env'), `BUN_APM_APP=shop\nBUN_APM_INGEST_KEY=${key}\n`);
      expect(() => edgeKeys(dir, join(dir, 'edge'), [], false)).not.toThrow();
    }
    // Bun's own .env loading, in a process started where the .env is: base64's +/=, colons and
    // inline comments are read alike (a review: valid setups had been refused).
    const keys = ['A-Za-z0-9._~', ...generated.slice(0, 5), 'ing_AbC+/xyz=', 'ing:abc', 'ing_c #note', '"ing_q" # note', 'ing_h#x'];
    writeFileSync(join(dir, '.env'), keys.map((key, i) => `K${i}=${key}`).join('\n'));
    const bun = Bun.spawnSync([process.execPath, '-e', `console.log(JSON.stringify(${JSON.stringify(keys.map((_, i) => `K${i}`))}.map((name) => process.env[name])))`], { cwd: dir });
    const read = Object.values(parseDotEnv(readFileSync(join(dir, '.env'), 'utf8')));
    expect(JSON.parse(bun.stdout.toString())).toEqual(read);
    expect(read.slice(-5)).toEqual(['ing_AbC+/xyz=', 'ing:abc', 'ing_c', 'ing_q', 'ing_h']);
    for (const key of read) {
      writeFileSync(join(dir, '.env'), `BUN_APM_APP=shop # the app\nBUN_APM_INGEST_KEY=${key}\n`);
      expect(edgeKeys(dir, join(dir, 'edge'), [], false).secrets.INGEST_KEYS).toBe(`shop:${key}`);
    }
  });
});

describe('BUN_APM_APP', () => {
  test('an invalid id in .env is refused by init, edge init and keys as `keys --app` refuses it, and nothing is written', async () => {
    const env = 'BUN_APM_APP=my shop\nBUN_APM_INGEST_KEY=ing_abc\n';
    const dir = appWith(env);
    const before = readdirSync(dir).sort();
    const message = 'BUN_APM_APP in .env is "my shop": expected 1..64 of A-Z a-z 0-9 . _ - (starting with a letter or digit): change it there';
    expect(() => initApp(dir)).toThrow(message);
    expect(() => edgeInit(dir)).toThrow(message);
    expect(readdirSync(dir).sort()).toEqual(before);
    expect(readFileSync(join(dir, '.env'), 'utf8')).toBe(env);
    const keys = await keysCommand(dir);
    expect([keys.code, keys.err.includes(message)]).toEqual([1, true]);
  });

  test('without one, init writes the id the preload defaults to: from package.json, else the directory (it had written "app")', () => {
    for (const name of ['@acme/shop api', '...', '@scope/', 42, undefined]) {
      const dir = mkdtempSync(join(tmpdir(), 'bun-apm-app-name-'));
      writeFileSync(join(dir, 'package.json'), JSON.stringify(name === undefined ? {} : { name }));
      const { app } = initApp(dir, 'https://edge.example');
      expect(app).toBe(defaultAppName(dir));
      expect(app).toMatch(APP_ID);
      expect(parseDotEnv(readFileSync(join(dir, '.env'), 'utf8')).BUN_APM_APP).toBe(app);
    }
    const bare = mkdtempSync(join(tmpdir(), 'bun-apm-app-name-'));
    expect(initApp(bare, 'https://edge.example').app).toBe(defaultAppName(bare));
  });
});

describe('the key the app sends, wherever it is set (a review: init wrote a second key to .env behind one in .env.local, and keys gave the edge that one)', () => {
  // As the CLI runs, not as tests do: Bun leaves .env.local out under NODE_ENV=test.
  const nodeEnv = process.env.NODE_ENV;
  beforeAll(() => void (process.env.NODE_ENV = 'development'));
  afterAll(() => void (process.env.NODE_ENV = nodeEnv));

  test('in .env.local: init keeps it (and writes the same to .env), and the edge is given it', () => {
    const local = newIngestKey();
    const dir = appWith('');
    writeFileSync(join(dir, '.env.local'), `BUN_APM_APP=blog\nBUN_APM_INGEST_KEY=${local}\nBUN_APM_ENDPOINT=http://127.0.0.1:8787\n`);
    const result = initApp(dir);
    expect([result.app, result.ingestKey]).toEqual(['blog', local]);
    expect(parseDotEnv(readFileSync(join(dir, '.env'), 'utf8'))).toEqual({ BUN_APM_APP: 'blog', BUN_APM_INGEST_KEY: local, BUN_APM_ENDPOINT: 'http://127.0.0.1:8787' });
    expect(edgeKeys(dir, join(dir, 'edge'), [], false).secrets.INGEST_KEYS).toBe(`blog:${local}`);
  });

  test('in .env.local over another in .env: the edge is given the one Bun gives the app', () => {
    const [written, local] = [newIngestKey(), newIngestKey()];
    const dir = appWith(`BUN_APM_APP=shop\nBUN_APM_INGEST_KEY=${written}\n`);
    writeFileSync(join(dir, '.env.local'), `BUN_APM_INGEST_KEY=${local}\n`);
    expect(edgeKeys(dir, join(dir, 'edge'), [], false).secrets.INGEST_KEYS).toBe(`shop:${local}`);
  });

  test('in the shell alone: init writes that key to .env, not a new one', () => {
    const shell = newIngestKey();
    const dir = appWith('');
    expect(initApp(dir, 'https://edge.example', { BUN_APM_INGEST_KEY: shell }).ingestKey).toBe(shell);
    expect(parseDotEnv(readFileSync(join(dir, '.env'), 'utf8')).BUN_APM_INGEST_KEY).toBe(shell);
  });
});
