import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initApp, preloadsBunApm, withPreload } from '../../../src/plugin/cli/init.ts';
import { edgeKeys, keysReport, parseIngestKeys } from '../../../src/plugin/cli/keys.ts';
import { ensureIgnored } from '../../../src/plugin/cli/gitignore.ts';
import { edgeInit, edgeWranglerToml } from '../../../src/plugin/cli/edge-init.ts';
import { devPort, portArgument, TESTED_WRANGLER, wranglerCommand } from '../../../src/plugin/cli/edge-dev.ts';
import { runChecks } from '../../../src/plugin/cli/doctor.ts';
import { parseDotEnv, withValues } from '../../../src/plugin/cli/dot-env.ts';
import { installPackageStandIn } from './support/installed-package.ts';

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

  // Each once gave a second top-level `preload` (Bun then refuses the whole file and preloads nothing),
  // or counted a comment or `[test]`'s preload as set up (found by a review).
  const moreCases: Array<[string, string]> = [
    ['smol = true\r\npreload = ["./setup.ts"]\r\n\r\n[serve]\r\nport = 3000\r\n', 'smol = true\r\npreload = ["bun-apm/preload", "./setup.ts"]\r\n\r\n[serve]\r\nport = 3000\r\n'],
    ["preload = './setup.ts'\n", 'preload = ["bun-apm/preload", \'./setup.ts\']\n'],
    ['preload = "./setup.ts" # my preload\n', 'preload = ["bun-apm/preload", "./setup.ts"] # my preload\n'],
    ['preload = [\n  "./a.ts",\n]\n', 'preload = ["bun-apm/preload", \n  "./a.ts",\n]\n'],
    ['# preload = ["bun-apm/preload"]\n', 'preload = ["bun-apm/preload"]\n# preload = ["bun-apm/preload"]\n'],
    ['[test]\npreload = ["bun-apm/preload"]\n', 'preload = ["bun-apm/preload"]\n[test]\npreload = ["bun-apm/preload"]\n'],
  ];
  for (const [before, after] of moreCases) {
    test(`${JSON.stringify(before)}: Bun reads the result with bun-apm first in its preload, all else kept`, () => {
      const result = withPreload(before);
      expect(result).toBe(after);
      const parsed = Bun.TOML.parse(result) as { preload: string[] };
      expect(parsed.preload[0]).toBe('bun-apm/preload');
      expect(preloadsBunApm(before)).toBe(false);
      expect(preloadsBunApm(result)).toBe(true);
    });
  }

  test('when .gitignore cannot be written, init fails before the key reaches .env (it had left a key in an unignored file)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bun-apm-init-'));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'shop' }));
    writeFileSync(join(dir, '.env'), 'DATABASE_URL=postgres://x\n');
    mkdirSync(join(dir, '.gitignore')); // a directory: neither readable nor writable as a file
    expect(() => initApp(dir, 'https://edge.example')).toThrow();
    expect(readFileSync(join(dir, '.env'), 'utf8')).toBe('DATABASE_URL=postgres://x\n');
  });

  test('a bunfig.toml Bun cannot read is an error naming it, and nothing is written', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bun-apm-init-'));
    const broken = 'preload = ["./a.ts"]\npreload = ["./b.ts"]\n';
    writeFileSync(join(dir, 'bunfig.toml'), broken);
    expect(() => initApp(dir, 'https://edge.example')).toThrow('bunfig.toml is not valid TOML');
    expect(readFileSync(join(dir, 'bunfig.toml'), 'utf8')).toBe(broken);
    expect(readdirSync(dir)).toEqual(['bunfig.toml']);
  });
});

describe('init', () => {
  test('sets an app up once and changes nothing the second time', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bun-apm-init-'));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: '@acme/shop-api' }));
    writeFileSync(join(dir, '.env'), 'DATABASE_URL=postgres://x');
    const first = initApp(dir, 'https://edge.example');
    expect(first.app).toBe('shop-api');
    expect(first.changed.sort()).toEqual(['.env', '.gitignore', 'bun-apm.config.ts', 'bunfig.toml']);
    expect(readFileSync(join(dir, '.gitignore'), 'utf8')).toBe('.env\n');
    const env = parseDotEnv(readFileSync(join(dir, '.env'), 'utf8'));
    expect(env).toMatchObject({ DATABASE_URL: 'postgres://x', BUN_APM_APP: 'shop-api', BUN_APM_ENDPOINT: 'https://edge.example', BUN_APM_INGEST_KEY: first.ingestKey });
    expect(readFileSync(join(dir, 'bunfig.toml'), 'utf8')).toContain('bun-apm/preload');
    const second = initApp(dir);
    expect(second.changed).toEqual([]);
    expect(second.ingestKey).toBe(first.ingestKey);
  });
});

describe('keys', () => {
  function appWithEnv(): string {
    const dir = mkdtempSync(join(tmpdir(), 'bun-apm-keys-'));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'shop' }));
    initApp(dir);
    return dir;
  }

  test('the app\'s ingest key is the one init wrote; other apps and the other keys are new and distinct', () => {
    const dir = appWithEnv();
    const own = parseDotEnv(readFileSync(join(dir, '.env'), 'utf8')).BUN_APM_INGEST_KEY!;
    const { secrets, file, added } = edgeKeys(dir, join(dir, 'edge'), ['blog'], false);
    expect(file).toBeUndefined();
    expect(added).toEqual(['shop', 'blog']);
    const pairs = parseIngestKeys(secrets.INGEST_KEYS);
    expect(pairs.map(([app]) => app)).toEqual(['shop', 'blog']);
    expect(pairs[0]![1]).toBe(own);
    expect(pairs[1]![1]).toMatch(/^ing_[A-Za-z0-9_-]{32}$/);
    expect(secrets.API_KEYS).toMatch(/^\*:read_[A-Za-z0-9_-]{32}$/);
    const all = [...pairs.map(([, key]) => key), secrets.API_KEYS, secrets.ADMIN_API_KEY, secrets.DASHBOARD_API_KEY, secrets.SESSION_SECRET];
    expect(new Set(all).size).toBe(all.length);
    expect(() => edgeKeys(dir, join(dir, 'edge'), ['bad app'], false)).toThrow(/app "bad app"/);
  });

  test('kept in .dev.vars: made once, read back unchanged, grown by a new app, a stale app key named', () => {
    const dir = appWithEnv();
    const edgeDir = join(dir, 'edge');
    mkdirSync(edgeDir);
    const first = edgeKeys(dir, edgeDir, [], true);
    const stored = parseDotEnv(readFileSync(join(edgeDir, '.dev.vars'), 'utf8'));
    expect(stored).toMatchObject({ ...first.secrets, BUN_APM_DEV: 'true' });
    expect(edgeKeys(dir, edgeDir, [], true).secrets).toEqual(first.secrets);
    const grown = edgeKeys(dir, edgeDir, ['blog'], true);
    expect(grown.added).toEqual(['blog']);
    expect(grown.secrets.INGEST_KEYS.startsWith(`${first.secrets.INGEST_KEYS},blog:ing_`)).toBe(true);
    expect(grown.secrets.ADMIN_API_KEY).toBe(first.secrets.ADMIN_API_KEY);
    writeFileSync(join(dir, '.env'), readFileSync(join(dir, '.env'), 'utf8').replace(/BUN_APM_INGEST_KEY=.*/, 'BUN_APM_INGEST_KEY=rotated'));
    expect(edgeKeys(dir, edgeDir, [], true).warnings.join()).toContain("shop's BUN_APM_INGEST_KEY in .env is not among the edge's INGEST_KEYS");
  });

  test('another app given its printed key before its init keeps it: one key for it, the edge\'s (it had two)', () => {
    const dir = appWithEnv();
    const edgeDir = join(dir, 'edge');
    mkdirSync(edgeDir);
    const keys = edgeKeys(dir, edgeDir, ['blog'], true);
    const report = keysReport(keys, { edgeDir: 'edge', endpoint: 'http://127.0.0.1:8787' });
    expect(report).toContain("in its .env (for another app, before its `bunx bun-apm init`, which keeps them)");
    expect(report).toContain('# A running `bunx bun-apm edge dev` takes added keys once restarted.');
    // Pasted as printed: the two lines under `# blog` (one line of both had made the app's name "blog BUN_APM_INGEST_KEY=…": a review).
    const printed = report.split('\n');
    const pasted = printed.slice(printed.indexOf('# blog') + 1, printed.indexOf('# blog') + 3);
    expect(pasted.map((line) => line.split('=')[0])).toEqual(['BUN_APM_APP', 'BUN_APM_INGEST_KEY']);
    const blog = mkdtempSync(join(tmpdir(), 'bun-apm-keys-'));
    writeFileSync(join(blog, 'package.json'), JSON.stringify({ name: 'blog' }));
    writeFileSync(join(blog, '.env'), `${pasted.join('\n')}\n`);
    initApp(blog, 'http://127.0.0.1:8787');
    const env = parseDotEnv(readFileSync(join(blog, '.env'), 'utf8'));
    expect(env.BUN_APM_APP).toBe('blog');
    expect(parseIngestKeys(keys.secrets.INGEST_KEYS).find(([app]) => app === 'blog')![1]).toBe(env.BUN_APM_INGEST_KEY!);
  });

  test('without an app or an edge there is nothing to make keys for', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bun-apm-keys-'));
    expect(() => edgeKeys(dir, join(dir, 'edge'), [], false)).toThrow(/run `bunx bun-apm init`/);
  });

  test('the command prints a wrangler line per secret', async () => {
    const dir = appWithEnv();
    rmSync(join(dir, 'bunfig.toml')); // its preload of bun-apm would not resolve here (test/package runs the installed command)
    const proc = Bun.spawn([process.execPath, CLI, 'keys', '--app', 'blog'], { cwd: dir, stdout: 'pipe', stderr: 'pipe' });
    const out = await new Response(proc.stdout).text();
    expect(await proc.exited).toBe(0);
    for (const name of ['INGEST_KEYS', 'API_KEYS', 'ADMIN_API_KEY', 'DASHBOARD_API_KEY', 'SESSION_SECRET']) {
      expect(out).toContain(`npx wrangler secret put ${name}`);
    }
  });
});

describe('the command line', () => {
  async function run(args: string[], cwd: string): Promise<{ code: number; out: string; err: string }> {
    const proc = Bun.spawn([process.execPath, CLI, ...args], { cwd, stdout: 'pipe', stderr: 'pipe' });
    const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
    return { code: await proc.exited, out, err };
  }

  test('--version, --help and every command\'s --help print, exit 0 and write nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bun-apm-help-'));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'shop' }));
    const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    expect(await run(['--version'], dir)).toEqual({ code: 0, out: `${version}\n`, err: '' });
    for (const args of [['--help'], ['help'], ['init', '--help'], ['keys', '--help'], ['doctor', '--help'], ['edge', 'init', '--help'], ['edge', 'dev', '-h'], ['help', 'keys'], ['init', '.', '--endpoint', 'http://x', '--help']]) {
      const result = await run(args, dir);
      expect(result.code, args.join(' ')).toBe(0);
      expect(result.out).toContain('Usage: bunx bun-apm');
    }
    expect(readdirSync(dir)).toEqual(['package.json']);
  });

  test('an empty BUN_APM_ENDPOINT= in .env (a copied .env.example) is unset, not a bad --endpoint', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bun-apm-empty-'));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'shop' }));
    writeFileSync(join(dir, '.env'), 'BUN_APM_ENDPOINT=\n');
    const result = await run(['init'], dir);
    expect(result.err).not.toContain('--endpoint');
    expect(result.code).toBe(0);
    expect(readFileSync(join(dir, 'bunfig.toml'), 'utf8')).toBe('preload = ["bun-apm/preload"]\n');
  });

  test('an unknown command or option exits 2 with the usage, and changes nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bun-apm-help-'));
    const unknown = await run(['frobnicate'], dir);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('unknown command "frobnicate"');
    const option = await run(['init', '--endpont', 'http://x'], dir);
    expect(option.code).toBe(2);
    expect(option.err).toStartWith('bun-apm init: unknown option "--endpont" (did you mean --endpoint?)\n');
    const far = await run(['keys', '--frobnicate'], dir);
    expect([far.code, far.err.split('\n')[0]]).toEqual([2, 'bun-apm keys: unknown option "--frobnicate"']);
    const badUrl = await run(['init', '--endpoint', 'ftp://x'], dir);
    expect(badUrl.code).toBe(1);
    expect(badUrl.err).toContain('--endpoint: expected an http:// or https:// URL');
    // The preload would refuse it (found by a review: init wrote it to .env all the same).
    const query = await run(['init', '--endpoint', 'https://apm.example.com/?x=1'], dir);
    expect([query.code, query.err.includes('--endpoint: expected a URL without a query or fragment')]).toEqual([1, true]);
    expect(readdirSync(dir)).toEqual([]);
  });

  test('`edge --help` prints both edge commands\' usage (it had been an unknown command); bare `edge` too, exiting 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bun-apm-edge-help-'));
    const help = await run(['edge', '--help'], dir);
    expect(help.code).toBe(0);
    expect(help.out).toContain('Usage: bunx bun-apm edge init');
    expect(help.out).toContain('Usage: bunx bun-apm edge dev');
    const bare = await run(['edge'], dir);
    expect(bare.code).toBe(2);
    expect(bare.out).toContain('Usage: bunx bun-apm edge dev');
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('.gitignore and .env files', () => {
  test('ensureIgnored adds only what no line covers yet', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bun-apm-ignore-'));
    const path = join(dir, '.gitignore');
    expect(ensureIgnored(path, ['.env'])).toBe(true);
    expect(readFileSync(path, 'utf8')).toBe('.env\n');
    expect(ensureIgnored(path, ['.env'])).toBe(false);
    writeFileSync(path, 'node_modules\n/.env*');
    expect(ensureIgnored(path, ['.env', '.wrangler/'])).toBe(true);
    expect(readFileSync(path, 'utf8')).toBe('node_modules\n/.env*\n.wrangler/\n');
  });

  test('withValues replaces in place and appends the rest', () => {
    expect(withValues('# c\nA=1\nexport B=2\n', { B: '3', C: '4' })).toBe('# c\nA=1\nB=3\nC=4\n');
    expect(withValues('', { A: '1' })).toBe('A=1\n');
  });
});

describe('edge init', () => {
  test('wrangler.toml is the package\'s own with main and assets pointing into the installed package', () => {
    const template = readFileSync(join(ROOT, 'wrangler.toml'), 'utf8');
    const toml = edgeWranglerToml(template, { packageRoot: '/app/node_modules/bun-apm', edgeDir: '/app/bun-apm-edge', name: 'apm', version: '9.9.9' });
    const parsed = Bun.TOML.parse(toml) as { name: string; main: string; assets: { directory: string }; migrations: unknown; vars: unknown; triggers: unknown };
    const original = Bun.TOML.parse(template) as typeof parsed;
    expect(parsed.name).toBe('apm');
    expect(parsed.main).toBe('../node_modules/bun-apm/src/edge/worker.ts');
    expect(parsed.assets.directory).toBe('../node_modules/bun-apm/public');
    expect(parsed.migrations).toEqual(original.migrations);
    expect(parsed.vars).toEqual(original.vars);
    expect(parsed.triggers).toEqual(original.triggers);
    expect(toml).toContain('bun-apm 9.9.9');
  });

  test('--force rewrites wrangler.toml for the installed bun-apm but keeps the Worker\'s name (another would deploy a new, empty Worker)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bun-apm-edge-force-'));
    installPackageStandIn(dir);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'shop' }));
    initApp(dir, 'https://edge.example');
    edgeInit(dir, { name: 'shop-apm' });
    const toml = join(dir, 'bun-apm-edge', 'wrangler.toml');
    writeFileSync(toml, `${readFileSync(toml, 'utf8')}\n# a hand edit\n`);
    expect(edgeInit(dir, { force: true }).changed).toContain('wrangler.toml');
    expect((Bun.TOML.parse(readFileSync(toml, 'utf8')) as { name: string }).name).toBe('shop-apm');
    expect(edgeInit(dir, { force: true, name: 'other' }).changed).toContain('wrangler.toml');
    expect((Bun.TOML.parse(readFileSync(toml, 'utf8')) as { name: string }).name).toBe('other');
  });

  test('--force keeps a main of the user\'s own (an entry with rules in code), and puts back one that points into the package', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bun-apm-edge-own-main-'));
    installPackageStandIn(dir);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'shop' }));
    initApp(dir, 'https://edge.example');
    edgeInit(dir);
    const toml = join(dir, 'bun-apm-edge', 'wrangler.toml');
    const mainOf = () => (Bun.TOML.parse(readFileSync(toml, 'utf8')) as { main: string }).main;
    const packages = mainOf();
    writeFileSync(toml, readFileSync(toml, 'utf8').replace(/^main = .*$/m, 'main = "worker.ts"').replace(/^name = .*$/m, 'name = "renamed"\n# a hand edit'));
    expect(edgeInit(dir, { force: true }).changed).toContain('wrangler.toml');
    expect(mainOf()).toBe('worker.ts');
    expect(readFileSync(toml, 'utf8')).not.toContain('# a hand edit');
    writeFileSync(toml, readFileSync(toml, 'utf8').replace(/^main = .*$/m, 'main = "../node_modules/bun-apm/src/edge/old-entry.ts"'));
    edgeInit(dir, { force: true });
    expect(mainOf()).toBe(packages);
    // An older version's own directory of an isolated install (pnpm, Bun): a package's, not the user's.
    writeFileSync(toml, readFileSync(toml, 'utf8').replace(/^main = .*$/m, 'main = "../node_modules/.pnpm/bun-apm@0.0.9/node_modules/bun-apm/dist/edge/worker.js"'));
    edgeInit(dir, { force: true });
    expect(mainOf()).toBe(packages);
  });

  test('in an app without bun-apm installed it says how to install it and writes nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bun-apm-edge-init-'));
    expect(() => edgeInit(dir)).toThrow(/bun-apm is not installed in .*: add it first/);
    expect(readdirSync(dir)).toEqual([]);
  });

  test('edge dev runs the app\'s wrangler, else the version bun-apm is tested with (not the latest 4.x, which may need a newer Node)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bun-apm-wrangler-'));
    const devWrangler = (JSON.parse(readFileSync(join(import.meta.dir, '../../../package.json'), 'utf8')) as { devDependencies: Record<string, string> }).devDependencies.wrangler;
    expect(TESTED_WRANGLER).toBe(devWrangler!);
    const fallback = Bun.which('wrangler') === null ? [process.execPath, 'x', `wrangler@${devWrangler}`] : [Bun.which('wrangler')!];
    expect(wranglerCommand(dir)).toEqual(fallback);
    mkdirSync(join(dir, 'node_modules', '.bin'), { recursive: true });
    writeFileSync(join(dir, 'node_modules', '.bin', 'wrangler'), '');
    expect(wranglerCommand(dir)).toEqual([join(dir, 'node_modules', '.bin', 'wrangler')]);
  });

  test('edge dev listens where the app sends: --port, else a loopback BUN_APM_ENDPOINT, else 8787', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bun-apm-port-'));
    expect(devPort(dir, {}, undefined)).toBe(8787);
    expect(devPort(dir, {}, '9000')).toBe(9000);
    expect(() => devPort(dir, {}, '9e3')).toThrow('--port: expected 1..65535, got "9e3"');
    expect(portArgument('--inspector-port', '9230')).toBe(9230);
    expect(() => portArgument('--inspector-port', '70000')).toThrow('--inspector-port: expected 1..65535, got "70000"');
    expect(devPort(dir, { BUN_APM_ENDPOINT: 'http://127.0.0.1:4321' }, undefined)).toBe(4321);
    expect(devPort(dir, { BUN_APM_ENDPOINT: 'https://apm.example.com:4321' }, undefined)).toBe(8787);
    writeFileSync(join(dir, '.env'), 'BUN_APM_ENDPOINT=http://localhost:5555\n');
    expect(devPort(dir, {}, undefined)).toBe(5555);
    expect(() => devPort(dir, {}, 'x')).toThrow('--port: expected 1..65535, got "x"');
  });
});

describe('doctor', () => {
  let sink: ReturnType<typeof Bun.serve>;
  const received: string[] = [];
  beforeAll(() => {
    // Stands in for the edge's key check (test/edge/doctor-probe.test.ts runs the real one): the app of a known key, 401 otherwise.
    sink = Bun.serve({
      hostname: '127.0.0.1', port: 0,
      fetch: async (req) => {
        received.push(new URL(req.url).pathname);
        const app = { 'Bearer good-key': 'shop', 'Bearer blog-key': 'blog' }[req.headers.get('authorization') ?? ''];
        return app ? Response.json({ ok: true, app }) : Response.json({ error: { code: 'unauthorized', message: 'bad key' } }, { status: 401 });
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
    expect(received).toEqual(['/v1/check']);
  });

  test('a wrong key, a bad setting and an unreachable edge are each named', async () => {
    const wrong = await runChecks(appDir(`BUN_APM_ENDPOINT=http://127.0.0.1:${sink.port}\nBUN_APM_INGEST_KEY=bad\n`), {});
    expect(wrong.find((c) => c.label === 'edge')!.detail).toMatch(/refused the ingest key/);
    const otherApp = await runChecks(appDir(`BUN_APM_ENDPOINT=http://127.0.0.1:${sink.port}\nBUN_APM_INGEST_KEY=blog-key\n`), {});
    expect(otherApp.find((c) => c.label === 'edge')).toMatchObject({ ok: false, detail: expect.stringContaining('as app "blog", not "shop"') });
    const bad = await runChecks(appDir('BUN_APM_SAMPLE_RATE=2\n'), {});
    expect(bad.find((c) => c.label === 'config')).toMatchObject({ ok: false });
    expect(bad.find((c) => c.label === 'config')!.detail).toContain('BUN_APM_SAMPLE_RATE');
    const misspelled = await runChecks(appDir(`BUN_APM_ENDPOINT=http://127.0.0.1:${sink.port}\nBUN_APM_INGEST_KEY=good-key\nBUN_APM_SAMPEL_RATE=0.5\n`), {});
    expect(misspelled.find((c) => c.label === 'config')).toMatchObject({ ok: false, detail: expect.stringContaining('BUN_APM_SAMPEL_RATE is no bun-apm setting and is ignored (did you mean BUN_APM_SAMPLE_RATE?)') });
    // Any server answering 200 had passed as the edge; a redirect said only its status (found by a review).
    const other = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: (req) => (new URL(req.url).pathname === '/moved/v1/check' ? Response.redirect('https://edge.example/v1/check', 301) : new Response('<html>a page</html>')) });
    try {
      const page = await runChecks(appDir(`BUN_APM_ENDPOINT=http://127.0.0.1:${other.port}\nBUN_APM_INGEST_KEY=good-key\n`), {});
      expect(page.find((c) => c.label === 'edge')).toMatchObject({ ok: false, detail: expect.stringContaining('without naming an app: is BUN_APM_ENDPOINT a bun-apm edge') });
      const moved = await runChecks(appDir(`BUN_APM_ENDPOINT=http://127.0.0.1:${other.port}/moved\nBUN_APM_INGEST_KEY=good-key\n`), {});
      expect(moved.find((c) => c.label === 'edge')).toMatchObject({ ok: false, detail: expect.stringContaining('redirects (HTTP 301) to https://edge.example/v1/check') });
    } finally {
      other.stop(true);
    }
    // A commented preload, or `[test]`'s, preloads nothing for `bun run`.
    for (const bunfig of ['# preload = ["bun-apm/preload"]\n', '[test]\npreload = ["bun-apm/preload"]\n']) {
      const dir = appDir(`BUN_APM_ENDPOINT=http://127.0.0.1:${sink.port}\nBUN_APM_INGEST_KEY=good-key\n`);
      writeFileSync(join(dir, 'bunfig.toml'), bunfig);
      expect((await runChecks(dir, {})).find((c) => c.label === 'preload')!.ok).toBe(false);
    }
    const down = await runChecks(appDir('BUN_APM_ENDPOINT=http://127.0.0.1:9\nBUN_APM_INGEST_KEY=good-key\n'), {});
    expect(down.find((c) => c.label === 'edge')!.detail).toMatch(/not reachable/);
  });

  test('doctor DIR and init DIR, run from another app, read DIR\'s settings, not those Bun loaded from here', async () => {
    // Found by a review: Bun loads the current directory's .env into the command's environment, and
    // `doctor ../blog` checked the current app's key and app name as blog's.
    const here = appDir(`BUN_APM_APP=shop\nBUN_APM_ENDPOINT=http://127.0.0.1:${sink.port}\nBUN_APM_INGEST_KEY=good-key\n`);
    rmSync(join(here, 'bunfig.toml')); // its preload would load into the command itself, and bun-apm is not installed there
    const blog = appDir(`BUN_APM_APP=blog\nBUN_APM_ENDPOINT=http://127.0.0.1:${sink.port}\nBUN_APM_INGEST_KEY=blog-key\n`);
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(process.env)) if (value !== undefined && !key.startsWith('BUN_APM_')) env[key] = value;
    // Spawned, not spawnSync: the stand-in edge answers from this process.
    const doctor = Bun.spawn([process.execPath, CLI, 'doctor', blog], { cwd: here, env, stdout: 'pipe', stderr: 'pipe' });
    const out = await new Response(doctor.stdout).text();
    await doctor.exited;
    expect(out).toContain('config   app "blog"');
    expect(out).toMatch(/✓ edge +.*"blog"/);
    expect(doctor.exitCode, out).toBe(1); // blog's bun-apm is not installed: only that check fails
    const fresh = mkdtempSync(join(tmpdir(), 'bun-apm-init-'));
    writeFileSync(join(fresh, 'package.json'), JSON.stringify({ name: 'fresh' }));
    const init = Bun.spawnSync([process.execPath, CLI, 'init', fresh], { cwd: here, env });
    expect(init.exitCode, init.stderr.toString()).toBe(0);
    // Not the current app's endpoint: the default, as for an app with none of its own.
    expect(parseDotEnv(readFileSync(join(fresh, '.env'), 'utf8')).BUN_APM_ENDPOINT).toBe('http://127.0.0.1:8787');
  });
});
