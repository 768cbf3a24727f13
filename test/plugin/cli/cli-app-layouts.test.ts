// The CLI in app layouts other than the happy path (a review of it in monorepos and odd setups): a
// .env that is a link to a shared file, an app renamed in its env file, a command run from a folder
// of the app or from a monorepo's root, an edge directory without its keys, a signal to `edge dev`
// alone, key files others may read. The command line itself, as a process, in real git repositories.
import { afterAll, expect, test } from 'bun:test';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { devPort } from '../../../src/plugin/cli/edge-dev.ts';
import { installPackageStandIn } from './support/installed-package.ts';

const CLI = join(import.meta.dir, '..', '..', '..', 'src', 'plugin', 'cli', 'main.ts');
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'bun-apm-layout-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

/** bun-apm installed in `dir`, as far as the commands read it; its preload does nothing (the CLI runs under the app's bunfig.toml). */
function installed(dir: string): void {
  installPackageStandIn(dir);
  const manifest = join(dir, 'node_modules', 'bun-apm', 'package.json');
  const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { exports: Record<string, string> };
  pkg.exports['./preload'] = './edge.js';
  writeFileSync(manifest, JSON.stringify(pkg));
}

function git(dir: string, ...args: string[]): string {
  const child = Bun.spawnSync(['git', '-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { cwd: dir, stdout: 'pipe', stderr: 'pipe' });
  if (child.exitCode !== 0) throw new Error(`git ${args.join(' ')}: ${child.stderr.toString()}`);
  return child.stdout.toString();
}

function cli(cwd: string, args: string[]): { code: number; out: string } {
  const child = Bun.spawnSync([process.execPath, CLI, ...args], { cwd, env: { PATH: process.env.PATH ?? '', HOME: cwd }, stdout: 'pipe', stderr: 'pipe' });
  return { code: child.exitCode ?? -1, out: child.stdout.toString() + child.stderr.toString() };
}

test("a .env that links to a monorepo's shared, committed file: the key goes to the package's .env.local, the shared file is left as it was", () => {
  const shared = 'PUBLIC_API=https://api.example.com\n';
  const root = tree({ 'package.json': '{"name":"mono","workspaces":["packages/*"]}', '.env': shared, 'packages/a/package.json': '{"name":"a"}', 'packages/b/package.json': '{"name":"b"}', '.gitignore': '.env.local\n' });
  for (const name of ['a', 'b']) symlinkSync('../../.env', join(root, 'packages', name, '.env'));
  git(root, 'init', '-q');
  git(root, 'add', '.env', '.gitignore', 'package.json');
  git(root, 'commit', '-qm', 'mono');

  const a = cli(join(root, 'packages', 'a'), ['init']);
  const b = cli(join(root, 'packages', 'b'), ['init']);
  expect(a.code).toBe(0);
  expect(b.code).toBe(0);
  expect(a.out).toContain('app "a"');
  expect(b.out).toContain('app "b"');
  expect(a.out).toContain('the settings went to .env.local: .env is a link to another file');
  expect(readFileSync(join(root, '.env'), 'utf8')).toBe(shared);
  const keyOf = (name: string) => /^BUN_APM_INGEST_KEY=(.+)$/m.exec(readFileSync(join(root, 'packages', name, '.env.local'), 'utf8'))?.[1];
  expect(keyOf('a')).toMatch(/^ing_[A-Za-z0-9_-]{32}$/);
  expect(keyOf('b')).toMatch(/^ing_[A-Za-z0-9_-]{32}$/);
  expect(keyOf('a')).not.toBe(keyOf('b'));
  // Nothing of either key shows to git (the links themselves are untracked files of their own).
  const status = git(root, 'status', '--porcelain', '--untracked-files=all').split('\n');
  expect(status.filter((line) => line.includes('.env') && !/^\?\? packages\/[ab]\/\.env$/.test(line))).toEqual([]);
});

test("an app renamed in its env file while its key is the old name's in .dev.vars: keys refuses, naming both ways out, and changes nothing", () => {
  const dir = tree({ 'package.json': '{"name":"tracked"}' });
  installed(dir);
  expect(cli(dir, ['init']).code).toBe(0);
  expect(cli(dir, ['edge', 'init']).code).toBe(0);
  const vars = join(dir, 'bun-apm-edge', '.dev.vars');
  const before = readFileSync(vars, 'utf8');
  writeFileSync(join(dir, '.env'), readFileSync(join(dir, '.env'), 'utf8').replace('BUN_APM_APP=tracked', 'BUN_APM_APP=tracked2'));

  const keys = cli(dir, ['keys']);
  expect(keys.code).toBe(1);
  expect(keys.out).toContain("this app's BUN_APM_INGEST_KEY is tracked's ingest key");
  expect(keys.out).toContain('BUN_APM_APP says tracked2: one key writes to one app');
  expect(keys.out).toContain('Nothing was changed');
  expect(cli(dir, ['edge', 'init']).code).toBe(1);
  expect(readFileSync(vars, 'utf8')).toBe(before);
});

test("a command run in a folder of the app is refused, naming the app's directory; from a monorepo's root, init's next steps say where to run them", () => {
  const root = tree({ 'package.json': '{"name":"mono"}', 'packages/web/package.json': '{"name":"web"}', 'packages/web/src/index.ts': '' });
  installed(join(root, 'packages', 'web'));
  const src = join(root, 'packages', 'web', 'src');
  for (const args of [['init'], ['doctor'], ['keys'], ['edge', 'init'], ['edge', 'dev']]) {
    const run = cli(src, args);
    expect({ args, code: run.code }).toEqual({ args, code: 1 });
    expect(run.out).toContain(`${src} has no package.json, and ${join(root, 'packages', 'web')} has one`);
  }
  expect(existsSync(join(src, 'bunfig.toml'))).toBe(false);
  expect(existsSync(join(src, '.env'))).toBe(false);
  expect(cli(root, ['init', 'packages/web/src']).code).toBe(1);

  const init = cli(root, ['init', 'packages/web']);
  expect(init.code).toBe(0);
  expect(init.out).toContain('`cd packages/web && bunx bun-apm edge init`');
  expect(init.out).toContain('`cd packages/web && bunx bun-apm doctor`');
  // Run as printed, the next step finds the app init set up.
  const edge = cli(join(root, 'packages', 'web'), ['edge', 'init']);
  expect(edge.code).toBe(0);
  expect(readFileSync(join(root, 'packages', 'web', 'bun-apm-edge', '.dev.vars'), 'utf8')).toContain('INGEST_KEYS=web:');
});

test('edge dev refuses an edge directory without its keys, and an endpoint at [::1] it would not listen on', () => {
  const dir = tree({ 'package.json': '{"name":"shop"}', 'bun-apm-edge/wrangler.toml': 'name = "bun-apm"\n' });
  const run = cli(dir, ['edge', 'dev']);
  expect(run.code).toBe(1);
  expect(run.out).toContain('has no .dev.vars, the edge\'s keys: run `bunx bun-apm edge init`');
  expect(() => devPort(dir, { BUN_APM_ENDPOINT: 'http://[::1]:4321' }, undefined)).toThrow('set BUN_APM_ENDPOINT=http://127.0.0.1:4321');
});

test('edge dev passes a SIGHUP (a closed terminal) on to wrangler, as it does SIGINT and SIGTERM', async () => {
  const dir = tree({ 'package.json': '{"name":"shop"}', 'bun-apm-edge/wrangler.toml': 'name = "bun-apm"\n', 'bun-apm-edge/.dev.vars': '' });
  // A wrangler that says when it starts and which signal reached it.
  const got = join(dir, 'signal.txt');
  const fake = join(dir, 'node_modules', '.bin', 'wrangler');
  mkdirSync(join(fake, '..'), { recursive: true });
  const pidFile = join(dir, 'wrangler.pid');
  writeFileSync(fake, `#!/bin/sh\necho $$ > '${pidFile}'\nfor s in HUP INT TERM; do trap "echo $s > '${got}'; exit 0" $s; done\necho started > '${got}'\nwhile :; do sleep 0.05; done\n`, { mode: 0o755 });
  const edge = Bun.spawn([process.execPath, CLI, 'edge', 'dev', '--port', '48399'], { cwd: dir, stdout: 'ignore', stderr: 'ignore' });
  try {
    const deadline = Date.now() + 10_000;
    while (!existsSync(got) && Date.now() < deadline) await Bun.sleep(20);
    expect(readFileSync(got, 'utf8').trim()).toBe('started');
    edge.kill('SIGHUP');
    while (readFileSync(got, 'utf8').trim() === 'started' && Date.now() < deadline) await Bun.sleep(20);
    expect(readFileSync(got, 'utf8').trim()).toBe('HUP');
    expect(await edge.exited).toBe(0);
  } finally {
    // Whatever happened, no stand-in is left running (one was, from a run before the fix).
    edge.kill('SIGKILL');
    try {
      process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL');
    } catch {
      // gone already
    }
  }
});

test('edge init where its directory cannot be made says so and names the way out, not a raw system error', () => {
  const dir = tree({ 'package.json': '{"name":"shop"}' });
  installed(dir);
  expect(cli(dir, ['init']).code).toBe(0);
  const run = cli(dir, ['edge', 'init', '--dir', 'package.json/edge']);
  expect(run.code).toBe(1);
  expect(run.out).toContain(`${join(dir, 'package.json', 'edge')} cannot be made (ENOTDIR): nothing was changed`);
  expect(run.out).not.toContain('ENOTDIR: not a directory');
});

test('an app without a package.json below a stray one (a home directory\'s, nothing installed from it) is set up where it is (a review of the refusal)', () => {
  const home = tree({ 'package.json': '{"name":"stray"}', 'nopkg/app.ts': 'Bun.serve({ fetch: () => new Response("ok") });\n' });
  const run = cli(join(home, 'nopkg'), ['init']);
  expect(run.code).toBe(0);
  expect(run.out).toContain('app "nopkg"');
  expect(readFileSync(join(home, 'nopkg', 'bunfig.toml'), 'utf8')).toContain('bun-apm/preload');
});

// A review: init appended the key to a .env others may read (0644, as an editor makes it) without a
// word; the .env it creates itself is 0600. Said with the fix; the app's file mode is the app's.
test('a .env others may read gets the key and a note saying so; .dev.vars alike; a 0600 one no note', () => {
  const dir = tree({ 'package.json': '{"name":"shop"}', '.env': 'PUBLIC_API=x\n' });
  installed(dir);
  chmodSync(join(dir, '.env'), 0o644);
  const run = cli(dir, ['init']);
  expect(run.code).toBe(0);
  expect(run.out).toContain('note: .env holds keys and other users of this machine may read it (mode 644): `chmod 600 .env` keeps them to you');
  expect(statSync(join(dir, '.env')).mode & 0o777).toBe(0o644);

  chmodSync(join(dir, '.env'), 0o600);
  expect(cli(dir, ['init']).out).not.toContain('other users');
  expect(cli(dir, ['edge', 'init']).code).toBe(0);
  chmodSync(join(dir, 'bun-apm-edge', '.dev.vars'), 0o640);
  const keys = cli(dir, ['keys']);
  expect(keys.out).toContain('bun-apm-edge/.dev.vars holds keys and other users of this machine may read it (mode 640)');
});
