import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initApp, withPreload } from '../../../src/plugin/cli/init.ts';
import { generateKeys, secretsOf } from '../../../src/plugin/cli/keys.ts';
import { parseDotEnv, runChecks } from '../../../src/plugin/cli/doctor.ts';

const ROOT = join(import.meta.dir, '..', '..', '..');
const CLI = join(ROOT, 'src', 'plugin', 'cli', 'main.ts');

describe('withPreload', () => {
  const cases: Array<[string, string]> = [
    ['', 'preload = ["bun-apm/preload"]\n'],
    ['preload = ["./setup.ts"]\n', 'preload = ["bun-apm/preload", "./setup.ts"]\n'],
    ['preload = []\n', 'preload = ["bun-apm/preload"]\n'],
    ['preload = "./setup.ts"\n', 'preload = ["bun-apm/preload", "./setup.ts"]\n'],
    ['[test]\npreload = ["./t.ts"]\n', 'preload = ["bun-apm/preload"]\n[test]\npreload = ["./t.ts"]\n'],
    ['preload = ["bun-apm/preload"]\n', 'preload = ["bun-apm/preload"]\n'],
  ];
  for (const [before, after] of cases) test(JSON.stringify(before), () => expect(withPreload(before)).toBe(after));
});

describe('init', () => {
  test('sets an app up once and changes nothing the second time', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bun-apm-init-'));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: '@acme/shop-api' }));
    writeFileSync(join(dir, '.env'), 'DATABASE_URL=postgres://x');
    const first = initApp(dir, 'https://edge.example');
    expect(first.app).toBe('shop-api');
    expect(first.changed.sort()).toEqual(['.env', 'bun-apm.config.ts', 'bunfig.toml']);
    const env = parseDotEnv(readFileSync(join(dir, '.env'), 'utf8'));
    expect(env).toMatchObject({ DATABASE_URL: 'postgres://x', BUN_APM_APP: 'shop-api', BUN_APM_ENDPOINT: 'https://edge.example', BUN_APM_INGEST_KEY: first.ingestKey });
    expect(readFileSync(join(dir, 'bunfig.toml'), 'utf8')).toContain('bun-apm/preload');
    const second = initApp(dir);
    expect(second.changed).toEqual([]);
    expect(second.ingestKey).toBe(first.ingestKey);
  });
});

describe('keys', () => {
  test('one ingest key per app, distinct random keys, secrets in the edge formats', () => {
    const keys = generateKeys(['shop', 'blog']);
    const secrets = secretsOf(keys);
    expect(secrets.INGEST_KEYS).toMatch(/^shop:ing_[A-Za-z0-9_-]{32},blog:ing_[A-Za-z0-9_-]{32}$/);
    expect(secrets.API_KEYS).toMatch(/^\*:read_/);
    const all = [keys.ingest.shop, keys.ingest.blog, keys.read, keys.admin, keys.dashboard, keys.sessionSecret];
    expect(new Set(all).size).toBe(all.length);
    expect(() => generateKeys(['bad app'])).toThrow(/app "bad app"/);
  });

  test('the command prints a wrangler line per secret', async () => {
    const proc = Bun.spawn([process.execPath, CLI, 'keys', '--app', 'shop'], { stdout: 'pipe', stderr: 'pipe' });
    const out = await new Response(proc.stdout).text();
    expect(await proc.exited).toBe(0);
    for (const name of ['INGEST_KEYS', 'API_KEYS', 'ADMIN_API_KEY', 'DASHBOARD_API_KEY', 'SESSION_SECRET']) {
      expect(out).toContain(`npx wrangler secret put ${name}`);
    }
  });

  test('an unknown command exits 2 with the usage', async () => {
    const proc = Bun.spawn([process.execPath, CLI, 'frobnicate'], { stdout: 'pipe', stderr: 'pipe' });
    expect(await proc.exited).toBe(2);
    expect(await new Response(proc.stderr).text()).toContain('unknown command "frobnicate"');
  });
});

describe('doctor', () => {
  let sink: ReturnType<typeof Bun.serve>;
  const received: string[] = [];
  beforeAll(() => {
    // Stands in for the edge's ingest: 202 for the right key, 401 otherwise.
    sink = Bun.serve({
      hostname: '127.0.0.1', port: 0,
      fetch: async (req) => {
        received.push(new URL(req.url).pathname);
        return req.headers.get('authorization') === 'Bearer good-key' ? Response.json({ accepted: true }, { status: 202 }) : Response.json({ error: { code: 'unauthorized', message: 'bad key' } }, { status: 401 });
      },
    });
  });
  afterAll(() => sink.stop(true));

  function appDir(env: string): string {
    const dir = mkdtempSync(join(tmpdir(), 'bun-apm-doctor-'));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'shop' }));
    writeFileSync(join(dir, 'bunfig.toml'), 'preload = ["bun-apm/preload"]\n');
    writeFileSync(join(dir, '.env'), env);
    return dir;
  }

  test('a good setup passes every check', async () => {
    const checks = await runChecks(appDir(`BUN_APM_ENDPOINT=http://127.0.0.1:${sink.port}\nBUN_APM_INGEST_KEY=good-key\n`), {});
    expect(checks.find((c) => c.label === 'preload')!.ok).toBe(true);
    expect(checks.find((c) => c.label === 'config')!.ok).toBe(true);
    expect(checks.find((c) => c.label === 'edge')).toMatchObject({ ok: true });
    expect(received).toContain('/v1/ingest');
  });

  test('a wrong key, a bad setting and an unreachable edge are each named', async () => {
    const wrong = await runChecks(appDir(`BUN_APM_ENDPOINT=http://127.0.0.1:${sink.port}\nBUN_APM_INGEST_KEY=bad\n`), {});
    expect(wrong.find((c) => c.label === 'edge')!.detail).toMatch(/refused the ingest key/);
    const bad = await runChecks(appDir('BUN_APM_SAMPLE_RATE=2\n'), {});
    expect(bad.find((c) => c.label === 'config')).toMatchObject({ ok: false });
    expect(bad.find((c) => c.label === 'config')!.detail).toContain('BUN_APM_SAMPLE_RATE');
    const down = await runChecks(appDir('BUN_APM_ENDPOINT=http://127.0.0.1:9\nBUN_APM_INGEST_KEY=good-key\n'), {});
    expect(down.find((c) => c.label === 'edge')!.detail).toMatch(/not reachable/);
  });
});
