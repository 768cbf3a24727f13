// The README's "Using it on your app", run as written in a new app that has only the tarball:
// install, init, edge init, keys, edge dev (wrangler dev on the installed package), doctor, the
// app itself; then what a user checks: the key is the same everywhere, .env is ignored, the edge
// counted the app's requests, the dashboard answers its key. Also: --help/--version change nothing,
// and `wrangler deploy --dry-run` bundles the generated directory within the free plan's limit.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { copyFileSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Background, consumerEnv, freePort, packTarball, REPO, run, runOk, TARBALL_NAME, tempDir } from './support/consumer.ts';

const README = readFileSync(join(REPO, 'README.md'), 'utf8');
const REQUESTS = 25;

/** The sh blocks of the README section "Using it on your app", each as its commands. */
function readmeBlocks(): string[][] {
  const start = README.indexOf('## Using it on your app');
  const section = README.slice(start, README.indexOf('\n### ', start));
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!.split('\n').filter((line) => line.trim() !== ''));
}
const readmeCommands = () => readmeBlocks()[0]!;
const compileCommands = () => readmeBlocks().find((block) => block.some((line) => line.startsWith('bun build --compile')))!;

/** A command that keeps running (the edge, the app): started in the background. */
const keepsRunning = (line: string) => /^bunx bun-apm edge dev\b|^bun run |^\.\//.test(line);

// A shop: Bun.serve routes. The first line is for the compiled binary (README: "One executable");
// under `bun run` bunfig.toml preloads the same module, which must then count each request once.
const APP = `import 'bun-apm/preload';
const server = Bun.serve({
  hostname: '127.0.0.1',
  port: Number(process.env.PORT ?? 3000),
  routes: { '/products/:id': (req) => Response.json({ id: req.params.id }) },
  fetch: () => new Response('not found', { status: 404 }),
});
console.log(\`shop on \${server.url}\`);
`;

let dir: string;
let edgePort: number;
let env: Record<string, string>;
/** What each command printed (commands that keep running: their process and port, below). */
const outputs = new Map<string, string>();
const running = new Map<string, { process: Background; port: number }>();

afterAll(async () => {
  for (const { process } of [...running.values()].reverse()) await process.stop();
});

/** Runs README lines in the app: those that keep running in the background, until their port answers. */
async function runAll(commands: string[]): Promise<void> {
  for (const line of commands) {
    const name = line.split('#')[0]!.trim();
    if (keepsRunning(line)) {
      const port = name === 'bunx bun-apm edge dev' ? edgePort : freePort();
      const process = new Background(['bash', '-c', `exec ${line}`], dir, { ...env, PORT: String(port) });
      running.set(name, { process, port });
      await process.waitForPort(port, 60_000);
      continue;
    }
    const result = await run(['bash', '-c', line], dir, env);
    expect(result.code, `${line}\n${result.out}\n${result.err}`).toBe(0);
    outputs.set(name, result.out);
  }
}

/** Requests by route, as the edge's export API reports them for the app. */
async function routeCounts(readKey: string): Promise<Array<{ route: string; requests: number }>> {
  const response = await fetch(`http://127.0.0.1:${edgePort}/api/v1/apps/shop/routes`, { headers: { 'x-api-key': readKey } });
  const body = await response.json() as { routes: Array<{ route: string; requests: number }> };
  return body.routes.map(({ route, requests }) => ({ route, requests }));
}

const readKeyOf = (keysOutput: string) => printedSecrets(keysOutput).API_KEYS!.replace(/^\*:/, '');

/**
 * Every file of the app (size and modification time), except node_modules and the running local
 * edge's own state in bun-apm-edge/.wrangler.
 */
function snapshot(root: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name).slice(root.length + 1);
    if (!entry.isFile() || path.startsWith('node_modules') || path.startsWith(join('bun-apm-edge', '.wrangler'))) continue;
    const stat = statSync(join(root, path));
    files[path] = `${stat.size} ${stat.mtimeMs}`;
  }
  return files;
}

/** The `printf '%s' 'VALUE' | npx wrangler secret put NAME` lines of a command's output. */
function printedSecrets(out: string): Record<string, string> {
  const secrets: Record<string, string> = {};
  for (const match of out.matchAll(/^printf '%s' '([^']*)' \| npx wrangler secret put ([A-Z_]+)$/gm)) secrets[match[2]!] = match[1]!;
  return secrets;
}

beforeAll(async () => {
  const packed = await packTarball();
  dir = tempDir('bun-apm-readme-app-');
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: 'shop', private: true, type: 'module' }, null, 2)}\n`);
  writeFileSync(join(dir, 'app.ts'), APP);
  copyFileSync(packed.path, join(dir, TARBALL_NAME));
  edgePort = freePort();
  // The only thing not in the README: where the edge listens (8787 may be taken on a shared machine).
  // init writes it to .env, edge dev listens there, and doctor and the app read it back.
  env = consumerEnv({ BUN_APM_ENDPOINT: `http://127.0.0.1:${edgePort}` });
}, 120_000);

describe('the README, in order', () => {
  test('names the tarball this version packs', () => {
    expect(readmeCommands()[0]).toStartWith(`bun add ./${TARBALL_NAME} `);
  });

  test('every command works as written', async () => {
    const commands = readmeCommands();
    expect(commands.map((line) => line.split('#')[0]!.trim())).toEqual([
      `bun add ./${TARBALL_NAME}`, 'bunx bun-apm init', 'bunx bun-apm edge init', 'bunx bun-apm keys', 'bunx bun-apm edge dev', 'bunx bun-apm doctor', 'bun run app.ts',
    ]);
    await runAll(commands);
  }, 240_000);

  test('init: .env holds the app, its key and the edge; .env is ignored by git', () => {
    const dotEnv = readFileSync(join(dir, '.env'), 'utf8');
    expect(dotEnv).toContain('BUN_APM_APP=shop\n');
    expect(dotEnv).toMatch(/^BUN_APM_INGEST_KEY=ing_[A-Za-z0-9_-]{32}$/m);
    expect(dotEnv).toContain(`BUN_APM_ENDPOINT=http://127.0.0.1:${edgePort}\n`);
    expect(readFileSync(join(dir, '.gitignore'), 'utf8').split('\n')).toContain('.env');
    expect(readFileSync(join(dir, 'bunfig.toml'), 'utf8')).toContain('preload = ["bun-apm/preload"]');
    expect(readFileSync(join(dir, 'bun-apm-edge', '.gitignore'), 'utf8').split('\n')).toEqual(expect.arrayContaining(['.dev.vars', '.wrangler/']));
  });

  test('one set of keys: the app\'s from .env, printed by keys and by edge init, kept in .dev.vars', () => {
    const appKey = /^BUN_APM_INGEST_KEY=(.*)$/m.exec(readFileSync(join(dir, '.env'), 'utf8'))![1]!;
    const printed = printedSecrets(outputs.get('bunx bun-apm keys')!);
    expect(Object.keys(printed).sort()).toEqual(['ADMIN_API_KEY', 'API_KEYS', 'DASHBOARD_API_KEY', 'INGEST_KEYS', 'SESSION_SECRET']);
    expect(printed.INGEST_KEYS).toBe(`shop:${appKey}`);
    expect(printedSecrets(outputs.get('bunx bun-apm edge init')!)).toEqual(printed);
    const devVars = Object.fromEntries(readFileSync(join(dir, 'bun-apm-edge', '.dev.vars'), 'utf8').split('\n').filter((l) => /^[A-Z_]+=/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    expect(devVars).toEqual({ ...printed, BUN_APM_DEV: 'true' });
    const toml = readFileSync(join(dir, 'bun-apm-edge', 'wrangler.toml'), 'utf8');
    expect(toml).toContain('main = "../node_modules/bun-apm/dist/edge/worker.js"');
    expect(toml).toContain('directory = "../node_modules/bun-apm/public"');
  });

  test('doctor: every check passes', () => {
    const out = outputs.get('bunx bun-apm doctor')!;
    expect(out.split('\n').filter((line) => line !== '').map((line) => line.slice(0, 10).trim())).toEqual(['✓ preload', '✓ package', '✓ config', '✓ edge']);
    expect(out).toContain(`http://127.0.0.1:${edgePort} accepts the ingest key for app "shop"`);
  });

  test('the app is counted at the edge, and the dashboard answers its key with the charts', async () => {
    const printed = printedSecrets(outputs.get('bunx bun-apm keys')!);
    const app = running.get('bun run app.ts')!;
    for (let i = 0; i < REQUESTS; i++) expect((await fetch(`http://127.0.0.1:${app.port}/products/${i}`)).status).toBe(200);
    await app.process.stop(); // the final flush ships the batch
    expect(app.process.out).not.toContain('bun-apm:');
    expect(await routeCounts(readKeyOf(outputs.get('bunx bun-apm keys')!))).toEqual([{ route: '/products/:id', requests: REQUESTS }]);
    const edge = `http://127.0.0.1:${edgePort}`;

    expect((await fetch(`${edge}/performance`)).status).toBe(401);
    const page = await fetch(`${edge}/performance?app=shop`, { headers: { 'x-api-key': printed.DASHBOARD_API_KEY! } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html.match(/class="chart-canvas"/g)?.length ?? 0).toBeGreaterThanOrEqual(4);
    // The static assets come from the installed package's public/ (wrangler's [assets]).
    for (const asset of ['/vendor/htmx.min.js', '/vendor/uPlot.iife.min.js', '/dashboard.js']) {
      const response = await fetch(`${edge}${asset}`);
      expect(response.status, asset).toBe(200);
      expect((await response.text()).length, asset).toBeGreaterThan(1000);
    }
  }, 30_000);

  test('under edge dev, a dashboard post over its cap is refused and the next request is served (a review: wrangler answered it 503, "worker restarted")', async () => {
    const edge = `http://127.0.0.1:${edgePort}`;
    const big = 'a'.repeat(17_000);
    for (const path of ['/performance/login', '/performance/alerts/resolve']) {
      const refused = await fetch(`${edge}${path}`, { method: 'POST', body: big, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      await refused.text();
      expect([path, refused.status >= 400 && refused.status < 500]).toEqual([path, true]);
      const next = await fetch(`${edge}/healthz`, { method: 'POST', body: 'a=b', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      await next.text();
      expect([path, next.status]).toEqual([path, 405]);
    }
  }, 30_000);

  // Last of the dashboard's checks here: it leaves the local client locked out of sign-in for a while.
  test('under edge dev, a forged cf-connecting-ip buys no fresh sign-in budget (a review: each address had its own)', async () => {
    const summary = `http://127.0.0.1:${edgePort}/performance/fragments/summary?app=shop`;
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const response = await fetch(summary, { headers: { 'x-api-key': `wrong-${i}`, 'cf-connecting-ip': '203.0.113.7' } });
      await response.text();
      statuses.push(response.status);
    }
    expect(statuses).toContain(429);
    const forged = await fetch(summary, { headers: { 'x-api-key': 'wrong-again', 'cf-connecting-ip': '203.0.113.21' } });
    await forged.text();
    expect(forged.status).toBe(429);
  }, 30_000);
});

describe('the README\'s one executable, built and started as written in the same app', () => {
  test('the binary sends to the same edge; its requests add to the count', async () => {
    const commands = compileCommands();
    expect(commands).toEqual(['bun build --compile --no-compile-autoload-bunfig app.ts --outfile app', './app']);
    await runAll(commands);
    const app = running.get('./app')!;
    for (let i = 0; i < REQUESTS; i++) expect((await fetch(`http://127.0.0.1:${app.port}/products/${i}`)).status).toBe(200);
    await app.process.stop();
    expect(app.process.out).not.toContain('bun-apm:'); // the config file loaded, the final flush ran
    expect(await routeCounts(readKeyOf(outputs.get('bunx bun-apm keys')!))).toEqual([{ route: '/products/:id', requests: 2 * REQUESTS }]);
  }, 120_000);

  test('moved where no node_modules is, beside a config file that imports defineConfig from bun-apm, it is still monitored', async () => {
    // A deploy of the binary alone: it had failed to load such a config file (no package to import
    // from) and ran unmonitored.
    const moved = tempDir('bun-apm-binary-');
    copyFileSync(join(dir, 'app'), join(moved, 'app'));
    copyFileSync(join(dir, '.env'), join(moved, '.env'));
    writeFileSync(join(moved, 'bun-apm.config.ts'), "import { defineConfig } from 'bun-apm';\n\nexport default defineConfig({ flushIntervalMs: 5000 });\n");
    const port = freePort();
    const app = new Background(['./app'], moved, { ...env, PORT: String(port) });
    await app.waitForPort(port, 30_000);
    for (let i = 0; i < REQUESTS; i++) expect((await fetch(`http://127.0.0.1:${port}/products/${i}`)).status).toBe(200);
    await app.stop();
    expect(app.out).not.toContain('bun-apm:');
    expect(await routeCounts(readKeyOf(outputs.get('bunx bun-apm keys')!))).toEqual([{ route: '/products/:id', requests: 3 * REQUESTS }]);
  }, 60_000);
});

describe('the generated edge directory', () => {
  test('wrangler deploy --dry-run bundles it within the free plan\'s 3 MiB (gzip)', async () => {
    const out = tempDir('bun-apm-dry-run-');
    // The wrangler a user has (here: this repository's, first on PATH), as `npx wrangler deploy` would find it.
    const result = await runOk(['bash', '-c', `wrangler deploy --dry-run --outdir ${out}`], join(dir, 'bun-apm-edge'), { ...env, CI: '1' });
    const text = result.out + result.err;
    expect(text).toContain('env.APP_STORE (AppStore)');
    const size = /Total Upload: ([\d.]+) KiB \/ gzip: ([\d.]+) KiB/.exec(text);
    expect(size, text.slice(-2000)).not.toBeNull();
    console.log(`Worker bundle from the app: ${size![1]} KiB, ${size![2]} KiB gzip`);
    expect(Number(size![2])).toBeLessThan(3 * 1024);
    // The README's figures stay the bundle's (they had fallen 8 KiB behind, unnoticed): within 3 %.
    const stated = [...README.matchAll(/Worker bundle[^\n]*?(\d+) KiB, (\d+) KiB gzip/g)];
    expect(stated.length).toBe(2);
    for (const [, total, gzip] of stated) {
      expect(Math.abs(Number(total) / Number(size![1]) - 1), `README: ${total} KiB, bundle: ${size![1]} KiB`).toBeLessThan(0.03);
      expect(Math.abs(Number(gzip) / Number(size![2]) - 1), `README: ${gzip} KiB gzip, bundle: ${size![2]} KiB`).toBeLessThan(0.03);
    }
    const bundle = readFileSync(join(out, 'worker.js'), 'utf8');
    // The views compiled for @kitajs/html whatever the app's settings: no other JSX runtime inside.
    expect(/react\/jsx|preact|hono\/jsx/.test(bundle)).toBe(false);
  }, 120_000);
});

describe('the command line of the installed package', () => {
  test('--version, --help and each command\'s --help print, exit 0 and change no file', async () => {
    const before = snapshot(dir);
    const version = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
    expect((await runOk(['bash', '-c', 'bunx bun-apm --version'], dir, env)).out).toBe(`${version}\n`);
    for (const args of ['--help', 'init --help', 'keys --help', 'doctor --help', 'edge init --help', 'edge dev --help']) {
      const result = await runOk(['bash', '-c', `bunx bun-apm ${args}`], dir, env);
      expect(result.out, args).toContain('Usage: bunx bun-apm');
    }
    expect(snapshot(dir)).toEqual(before);
  }, 60_000);
});
