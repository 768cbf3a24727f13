// The README's "Using it on your app", run as written in a new app that has only the tarball:
// install, init, edge init, keys, edge dev (wrangler dev on the installed package), doctor, the
// app itself; then what a user checks: the key is the same everywhere, .env is ignored, the edge
// counted the app's requests, the dashboard answers its key. Also: --help/--version change nothing,
// and `wrangler deploy --dry-run` bundles the generated directory within the free plan's limit.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Background, consumerEnv, freePort, packTarball, REPO, run, runOk, TARBALL_NAME, tempDir } from './support/consumer.ts';

const README = readFileSync(join(REPO, 'README.md'), 'utf8');
const REQUESTS = 25;

/** The first sh block of the README section "Using it on your app", one command per line. */
function readmeCommands(): string[] {
  const section = README.slice(README.indexOf('## Using it on your app'));
  const block = /```sh\n([\s\S]*?)```/.exec(section)![1]!;
  return block.split('\n').filter((line) => line.trim() !== '');
}

/** A command that keeps running (the edge, the app): started in the background. */
const keepsRunning = (line: string) => /^bunx bun-apm edge dev\b|^bun run /.test(line);

const APP = `// A shop: Bun.serve routes, started by \`bun run app.ts\`; bunfig.toml preloads bun-apm.
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

/** Every file of the app except node_modules and the lockfile, with its content. */
function snapshot(root: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name).slice(root.length + 1);
    if (!entry.isFile() || path.startsWith('node_modules')) continue;
    files[path] = readFileSync(join(root, path), 'utf8');
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
    for (const line of commands) {
      const name = line.split('#')[0]!.trim();
      if (keepsRunning(line)) {
        const port = name === 'bun run app.ts' ? freePort() : edgePort;
        const process = new Background(['bash', '-c', `exec ${line}`], dir, { ...env, PORT: String(port) });
        running.set(name, { process, port });
        await process.waitForPort(port, 60_000);
        continue;
      }
      const result = await run(['bash', '-c', line], dir, env);
      expect(result.code, `${line}\n${result.out}\n${result.err}`).toBe(0);
      outputs.set(name, result.out);
    }
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
    expect(toml).toContain('main = "../node_modules/bun-apm/src/edge/worker.ts"');
    expect(toml).toContain('directory = "../node_modules/bun-apm/public"');
  });

  test('doctor: every check passes', () => {
    const out = outputs.get('bunx bun-apm doctor')!;
    expect(out.split('\n').filter((line) => line !== '').map((line) => line.slice(0, 10).trim())).toEqual(['✓ preload', '✓ package', '✓ config', '✓ edge']);
    expect(out).toContain(`http://127.0.0.1:${edgePort} accepted the ingest key`);
  });

  test('the app is counted at the edge, and the dashboard answers its key with the charts', async () => {
    const printed = printedSecrets(outputs.get('bunx bun-apm keys')!);
    const readKey = printed.API_KEYS!.replace(/^\*:/, '');
    const app = running.get('bun run app.ts')!;
    for (let i = 0; i < REQUESTS; i++) expect((await fetch(`http://127.0.0.1:${app.port}/products/${i}`)).status).toBe(200);
    await app.process.stop(); // the final flush ships the batch
    const edge = `http://127.0.0.1:${edgePort}`;
    const routes = await (await fetch(`${edge}/api/v1/apps/shop/routes`, { headers: { 'x-api-key': readKey } })).json() as { routes: Array<{ route: string; requests: number }> };
    expect(routes.routes.map(({ route, requests }) => ({ route, requests }))).toEqual([{ route: '/products/:id', requests: REQUESTS }]);

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
