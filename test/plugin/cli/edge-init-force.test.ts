// `bun-apm edge init --force` on a wrangler.toml a user edited: a file it cannot read is left alone,
// deployment choices outside [vars] are kept, other settings reset are named, and no backup is overwritten.
import { expect, test } from 'bun:test';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initApp } from '../../../src/plugin/cli/init.ts';
import { installPackageStandIn } from './support/installed-package.ts';

const CLI = join(import.meta.dir, '..', '..', '..', 'src', 'plugin', 'cli', 'main.ts');

function appWithEdge(): { dir: string; edge: string; toml: string } {
  const dir = mkdtempSync(join(tmpdir(), 'bun-apm-edge-force-'));
  installPackageStandIn(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'shop' }));
  initApp(dir, 'https://edge.example');
  rmSync(join(dir, 'bunfig.toml')); // its preload would load into the command itself, and the stand-in has none
  expect(edgeInit(dir).exitCode).toBe(0);
  const edge = join(dir, 'bun-apm-edge');
  return { dir, edge, toml: join(edge, 'wrangler.toml') };
}

function edgeInit(dir: string, ...args: string[]): { exitCode: number; out: string } {
  const run = Bun.spawnSync([process.execPath, CLI, 'edge', 'init', ...args], { cwd: dir });
  return { exitCode: run.exitCode, out: `${run.stdout.toString()}${run.stderr.toString()}` };
}

const parse = (text: string) => Bun.TOML.parse(text) as Record<string, any>;

test('a wrangler.toml that is not TOML is left as it is: exit 1, the parser\'s message with its line, how to go on', () => {
  const { dir, edge, toml } = appWithEdge();
  const lines = readFileSync(toml, 'utf8').replace(/^PLAN = "free"/m, 'PLAN = "paid').replace(/^\[vars\]$/m, '[vars]\nSHARDS = "4"').split('\n');
  const broken = lines.join('\n');
  const line = lines.findIndex((l) => l.startsWith('PLAN = "paid')) + 1;
  writeFileSync(toml, broken);
  const run = edgeInit(dir, '--force');
  expect(run.exitCode, run.out).not.toBe(0);
  expect(readFileSync(toml, 'utf8')).toBe(broken);
  expect(existsSync(join(edge, 'wrangler.toml.bak'))).toBe(false);
  expect(run.out).toContain('not valid TOML');
  expect(run.out).toContain(`line ${line}`);
  expect(run.out).toMatch(/TOML Parse error/);
  expect(run.out).toMatch(/Fix that line, or move the file away .*to start fresh/);
  expect(run.out).not.toContain('paid');
}, 30_000);

test('workers_dev, account_id, route and routes are kept as set; other top-level settings reset are named, values never printed', () => {
  const { dir, toml } = appWithEdge();
  const fresh = readFileSync(toml, 'utf8');
  const deployment = {
    workers_dev: false,
    account_id: '0123456789abcdef0123456789abcdef',
    route: 'apm.example.com/*',
    routes: [{ pattern: 'apm2.example.com/*', zone_name: 'example.com' }, 'apm3.example.com/x*'],
  };
  const edited = fresh
    .replace(/^workers_dev = true$/m, 'workers_dev = false\naccount_id = "0123456789abcdef0123456789abcdef"\nroute = "apm.example.com/*"\nroutes = [{ pattern = "apm2.example.com/*", zone_name = "example.com" }, "apm3.example.com/x*"]')
    .replace('crons = ["0 * * * *"]', 'crons = ["*/15 * * * *"]')
    .replace(/^\[observability\]\nenabled = true$/m, '[observability]\nenabled = false')
    .replace(/^\[\[migrations\]\]$/m, '[[durable_objects.bindings]]\nname = "EXTRA_STORE"\nclass_name = "ExtraStore"\n\n[[migrations]]')
    .replace(/^workers_dev = false$/m, 'workers_dev = false\nlogpush = true')
    // edge init's own path into the package (as `main`): a moved app is no setting of the user's to name.
    .replace(/^directory = .*$/m, 'directory = "../elsewhere/public"');
  expect(edited).not.toBe(fresh);
  writeFileSync(toml, edited);
  const run = edgeInit(dir, '--force');
  expect(run.exitCode, run.out).toBe(0);
  const written = parse(readFileSync(toml, 'utf8'));
  const template = parse(fresh);
  for (const [key, value] of Object.entries(deployment)) expect(written[key], key).toEqual(value);
  expect(written.triggers).toEqual(template.triggers);
  expect(written.vars).toEqual(template.vars);
  const resetLine = /reset to this bun-apm's template: (.*)$/m.exec(run.out);
  expect(resetLine, run.out).not.toBeNull();
  expect(resetLine![1]!.split(/[ ,:(]+/)).toEqual(expect.arrayContaining(['[triggers]', '[observability]', '[[durable_objects.bindings]]', 'logpush']));
  expect(resetLine![1]).not.toMatch(/workers_dev|account_id|route|migrations|main|name\b|assets/);
  expect(run.out).toMatch(/kept .*workers_dev.*account_id.*route.*routes/);
  for (const value of ['0123456789abcdef', 'example.com', '*/15', 'EXTRA_STORE']) expect(run.out).not.toContain(value);
}, 30_000);

test('a second --force keeps the first backup: the next goes to wrangler.toml.bak.1, named; the edge .gitignore covers them', () => {
  const { dir, edge, toml } = appWithEdge();
  const fresh = readFileSync(toml, 'utf8');
  const first = fresh.replace(/^\[vars\]$/m, '[vars]\nOLD_ONE = "1"');
  writeFileSync(toml, first);
  expect(edgeInit(dir, '--force').exitCode).toBe(0);
  expect(readFileSync(join(edge, 'wrangler.toml.bak'), 'utf8')).toBe(first);
  const second = readFileSync(toml, 'utf8').replace(/^\[vars\]$/m, '[vars]\nOLD_TWO = "2"');
  writeFileSync(toml, second);
  const run = edgeInit(dir, '--force');
  expect(run.exitCode, run.out).toBe(0);
  expect(readFileSync(join(edge, 'wrangler.toml.bak'), 'utf8')).toBe(first);
  expect(readFileSync(join(edge, 'wrangler.toml.bak.1'), 'utf8')).toBe(second);
  expect(run.out).toContain('wrote wrangler.toml.bak.1\n');
  expect(run.out).toMatch(/left out \[vars\] OLD_TWO: .*wrangler\.toml\.bak\.1\)/);
  const ignored = readFileSync(join(edge, '.gitignore'), 'utf8').split('\n');
  const glob = ignored.find((line) => line.startsWith('wrangler.toml.bak'));
  expect(glob, ignored.join('\n')).toBeDefined();
  for (const name of ['wrangler.toml.bak', 'wrangler.toml.bak.1', 'wrangler.toml.bak.12']) expect(new Bun.Glob(glob!).match(name), name).toBe(true);
  expect(new Bun.Glob(glob!).match('wrangler.toml')).toBe(false);
}, 30_000);

test('secrets left out of [vars]: the next deploy runs without them until `wrangler secret put` for each', () => {
  const { dir, toml } = appWithEdge();
  writeFileSync(toml, readFileSync(toml, 'utf8').replace(/^\[vars\]$/m, '[vars]\nDASHBOARD_USERNAME = "admin"\nALERT_EMAIL_TO = "ops@shop.example"'));
  const run = edgeInit(dir, '--force');
  expect(run.exitCode, run.out).toBe(0);
  const line = /left out \[vars\] (DASHBOARD_USERNAME, ALERT_EMAIL_TO.*)$/m.exec(run.out);
  expect(line, run.out).not.toBeNull();
  expect(line![1]).toMatch(/next deploy runs without them until .*wrangler secret put/);
  for (const value of ['admin', 'ops@shop']) expect(run.out).not.toContain(value);
  expect(run.out).toMatch(/wrangler\.toml\.bak holds those secrets' values: keep it out of git/);
}, 30_000);
