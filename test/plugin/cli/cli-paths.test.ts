// The CLI run as an app runs it, for what a review of the installed package found: an absolute
// --dir / --edge-dir had been joined to the app's directory (edge init wrote ./tmp/x/edge inside the
// app, keys ignored the .dev.vars there); `--dir=~/x` (left as typed by the shell) was a folder
// named `~`; a new .env is the owner's alone; under Node the command says it runs on Bun.
import { expect, test } from 'bun:test';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import ts from 'typescript';
import { parseDotEnv } from '../../../src/plugin/cli/dot-env.ts';
import { initApp } from '../../../src/plugin/cli/init.ts';
import { installPackageStandIn } from './support/installed-package.ts';

const ROOT = join(import.meta.dir, '..', '..', '..');
const CLI = join(ROOT, 'src', 'plugin', 'cli', 'main.ts');

async function run(command: string[], cwd: string, env: Record<string, string | undefined> = process.env): Promise<{ code: number; out: string; err: string }> {
  const child = Bun.spawn(command, { cwd, env, stdout: 'pipe', stderr: 'pipe' });
  const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const [out, err] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text()]);
  clearTimeout(killer);
  return { code: await child.exited, out, err };
}

const cli = (args: string[], cwd: string, env?: Record<string, string | undefined>) => run([process.execPath, CLI, ...args], cwd, env);

/** An app set up by init, with a stand-in bun-apm installed (what edge init reads of it). */
function initialisedApp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bun-apm-paths-app-'));
  installPackageStandIn(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'shop' }));
  initApp(dir, 'http://127.0.0.1:8787');
  rmSync(join(dir, 'bunfig.toml')); // its preload would load into the command itself, and the stand-in has none
  return dir;
}

test('edge init --dir and keys --edge-dir take an absolute path outside the app as it is', async () => {
  const app = initialisedApp();
  const before = readdirSync(app).sort();
  const edge = join(mkdtempSync(join(tmpdir(), 'bun-apm-paths-elsewhere-')), 'abs-edge');

  const init = await cli(['edge', 'init', '--dir', edge], app);
  expect(init.code, init.err).toBe(0);
  expect(readdirSync(edge).sort()).toEqual(['.dev.vars', '.gitignore', 'wrangler.toml']);
  expect(readdirSync(app).sort()).toEqual(before);
  // wrangler resolves `main` from the file's own directory: it must reach the app's installed package.
  const toml = Bun.TOML.parse(readFileSync(join(edge, 'wrangler.toml'), 'utf8')) as { main: string };
  expect(resolve(edge, toml.main)).toBe(join(app, 'node_modules', 'bun-apm', 'edge.js'));
  expect(init.out).toContain(`bun-apm edge init: ${edge}/`);
  expect(init.out).toContain(`bunx bun-apm edge dev --dir ${edge}.`);

  const kept = parseDotEnv(readFileSync(join(edge, '.dev.vars'), 'utf8'));
  const keys = await cli(['keys', '--edge-dir', edge], app);
  expect(keys.code, keys.err).toBe(0);
  expect(keys.out).toContain(`kept in ${edge}/.dev.vars`);
  expect(keys.out).toContain(`npx wrangler secret put ADMIN_API_KEY`);
  expect(keys.out).toContain(`'${kept.ADMIN_API_KEY}'`);

  // edge dev reads the same directory: one without a wrangler.toml is named as given.
  const missing = join(dirname(edge), 'no-edge');
  const dev = await cli(['edge', 'dev', '--dir', missing], app);
  expect(dev.code).toBe(1);
  expect(dev.err).toContain(`${missing} has no wrangler.toml`);
  expect(readdirSync(app).sort()).toEqual(before);
}, 30_000);

test('a leading ~ the shell left as typed (--dir=~/edge) is the home directory, not a folder named ~', async () => {
  const app = initialisedApp();
  const home = mkdtempSync(join(tmpdir(), 'bun-apm-paths-home-'));
  const result = await cli(['edge', 'init', '--dir=~/my-edge'], app, { ...process.env, HOME: home });
  expect(result.code, result.err).toBe(0);
  expect(existsSync(join(home, 'my-edge', '.dev.vars'))).toBe(true);
  expect(existsSync(join(app, '~'))).toBe(false);
}, 30_000);

test('init creates .env readable by its owner alone (it holds the ingest key); an existing one keeps its mode', async () => {
  const fresh = mkdtempSync(join(tmpdir(), 'bun-apm-paths-env-'));
  writeFileSync(join(fresh, 'package.json'), JSON.stringify({ name: 'shop' }));
  const created = await cli(['init'], fresh);
  expect(created.code, created.err).toBe(0);
  expect(statSync(join(fresh, '.env')).mode & 0o777).toBe(0o600);

  const existing = mkdtempSync(join(tmpdir(), 'bun-apm-paths-env-'));
  writeFileSync(join(existing, 'package.json'), JSON.stringify({ name: 'shop' }));
  writeFileSync(join(existing, '.env'), 'DATABASE_URL=postgres://x\n');
  chmodSync(join(existing, '.env'), 0o640);
  const appended = await cli(['init'], existing);
  expect(appended.code, appended.err).toBe(0);
  expect(parseDotEnv(readFileSync(join(existing, '.env'), 'utf8')).BUN_APM_INGEST_KEY).toMatch(/^ing_/);
  expect(statSync(join(existing, '.env')).mode & 0o777).toBe(0o640);
}, 30_000);

/**
 * main.ts compiled as scripts/build.ts compiles each module (TypeScript's transpileModule with the
 * Bun project's options, then Bun's transpiler folding syntax), alone in its directory: the check
 * must run before any other module of the CLI is needed.
 */
function shippedEntry(): string {
  const { outputText } = ts.transpileModule(readFileSync(CLI, 'utf8'), {
    fileName: CLI,
    compilerOptions: { target: ts.ScriptTarget.ES2023, module: ts.ModuleKind.Preserve, verbatimModuleSyntax: true, rewriteRelativeImportExtensions: true, removeComments: true },
  });
  const shebang = /^#!.*\n/.exec(outputText)?.[0] ?? '';
  const transpiler = new Bun.Transpiler({ loader: 'js', minify: { whitespace: true, syntax: true }, trimUnusedImports: false } as Bun.TranspilerOptions);
  const dir = join(mkdtempSync(join(tmpdir(), 'bun-apm-paths-dist-')), 'dist', 'plugin', 'cli');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'main.js'), shebang + transpiler.transformSync(outputText.slice(shebang.length)));
  // As in an app's node_modules/bun-apm: an ES module package.
  writeFileSync(join(dir, '..', '..', '..', 'package.json'), JSON.stringify({ name: 'bun-apm', type: 'module' }));
  return join(dir, 'main.js');
}

test.skipIf(Bun.which('node') === null)('run with node, the command says in one line that it runs on Bun, exits 1 and writes nothing', async () => {
  const main = shippedEntry();
  expect(readFileSync(main, 'utf8').startsWith('#!/usr/bin/env bun\n')).toBe(true);
  const app = mkdtempSync(join(tmpdir(), 'bun-apm-paths-node-'));
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'shop' }));
  const result = await run([Bun.which('node')!, main, 'init'], app);
  expect(result).toEqual({ code: 1, out: '', err: "bun-apm's CLI runs on Bun: use `bunx bun-apm …` (Bun: https://bun.sh)\n" });
  expect(readdirSync(app)).toEqual(['package.json']);
  // Under Bun the same file goes on to load the commands (not copied here): the check did not fold to always-true.
  const underBun = await run([process.execPath, main, '--version'], app);
  expect(underBun.err).not.toContain('runs on Bun');
  expect(underBun.err).toContain('commands.js');
}, 30_000);

test('an empty --dir or one that names a file is refused, naming the flag; nothing is written', async () => {
  const app = initialisedApp();
  const before = readdirSync(app).sort();
  const empty = await cli(['edge', 'init', '--dir', ''], app);
  expect(empty.code).toBe(1);
  expect(empty.err).toBe('bun-apm: --dir: expected a directory, got an empty value\n');
  const file = join(app, 'notes.txt');
  writeFileSync(file, 'x');
  const onFile = await cli(['edge', 'init', '--dir', file], app);
  expect(onFile.code).toBe(1);
  expect(onFile.err).toBe(`bun-apm: --dir: ${file} is a file, not a directory\n`);
  const keys = await cli(['keys', '--edge-dir', ''], app);
  expect(keys.err).toBe('bun-apm: --edge-dir: expected a directory, got an empty value\n');
  expect(readdirSync(app).sort()).toEqual([...before, 'notes.txt'].sort());
}, 30_000);
