// `bun-apm edge init --force` after an upgrade keeps the [vars] the user set in wrangler.toml: it had
// put PLAN, ALERT_RULES and the rest back to the template's defaults, saying only "wrote wrangler.toml".
import { describe, expect, test } from 'bun:test';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initApp } from '../../../src/plugin/cli/init.ts';
import { installPackageStandIn } from './support/installed-package.ts';

const ROOT = join(import.meta.dir, '..', '..', '..');
const CLI = join(ROOT, 'src', 'plugin', 'cli', 'main.ts');

type Vars = Record<string, unknown>;
const varsOf = (text: string): Vars => (Bun.TOML.parse(text) as { vars: Vars }).vars;

/** An app with bun-apm (a stand-in) installed and `edge init` run once. */
function appWithEdge(): { dir: string; toml: string } {
  const dir = mkdtempSync(join(tmpdir(), 'bun-apm-edge-vars-'));
  installPackageStandIn(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'shop' }));
  initApp(dir, 'https://edge.example');
  rmSync(join(dir, 'bunfig.toml')); // its preload would load into the command itself, and the stand-in has none
  expect(edgeInit(dir).exitCode).toBe(0);
  return { dir, toml: join(dir, 'bun-apm-edge', 'wrangler.toml') };
}

function edgeInit(dir: string, ...args: string[]): { exitCode: number; out: string } {
  const run = Bun.spawnSync([process.execPath, CLI, 'edge', 'init', ...args], { cwd: dir });
  return { exitCode: run.exitCode, out: `${run.stdout.toString()}${run.stderr.toString()}` };
}

/** `text` with the line `NAME = …` of each entry replaced by the entry's own TOML text. */
function withLines(text: string, lines: Record<string, string>): string {
  let out = text;
  for (const [name, line] of Object.entries(lines)) {
    const pattern = new RegExp(`^${name} = .*$`, 'm');
    expect(pattern.test(out), name).toBe(true);
    out = out.replace(pattern, () => line);
  }
  return out;
}

// Each written by hand in a different TOML form, so that what is kept is read back from the user's own syntax.
const EDITS: Record<string, string> = {
  PLAN: "PLAN = 'paid'",
  ALERT_RULES: `ALERT_RULES = '''
[
  { "name": "slow", "metric": "p95", "op": ">", "threshold": 500, "note": "it's \\"quoted\\" and C:\\\\path" },
  { "name": "errors", "metric": "error_rate", "op": ">", "threshold": 0.05 }
]
'''   # my rules`,
  ALERT_CHANNEL_FILTERS: 'ALERT_CHANNEL_FILTERS = """{ "slack": { "severities": ["critical"] } }\\r\\nsecond line with \'\'\' in it"""',
  DASHBOARD_URL: 'DASHBOARD_URL = "https://apm.example/d?a=1&b=\\"2\\"\\\\x\\ttab é ✓ 🚀 \\u00e9"',
  PAGERDUTY_URL: `PAGERDUTY_URL = "ends with a quote '"`,
  MAX_SPANS: 'MAX_SPANS = "\\u007f and \\u0001 and \\\\n not a newline"',
  ROUTE_CAP: 'ROUTE_CAP = 2000',
};

describe('edge init --force: [vars]', () => {
  test('the user\'s values are kept exactly, named (values never printed), old vars named, the old file backed up byte for byte', () => {
    const { dir, toml } = appWithEdge();
    const defaults = varsOf(readFileSync(toml, 'utf8'));
    const edited = withLines(readFileSync(toml, 'utf8'), EDITS).replace(/^\[vars\]$/m, '[vars]\nOLD_SETTING = "gone"');
    writeFileSync(toml, edited);
    const old = varsOf(edited);
    // The hand-written forms read as the tricky values meant.
    expect(old.ALERT_RULES).toStartWith('[\n  { "name": "slow"');
    expect(old.ALERT_RULES).toContain('"it\'s \\"quoted\\" and C:\\\\path"');
    expect(old.ALERT_CHANNEL_FILTERS).toContain("\r\nsecond line with ''' in it");
    expect(old.DASHBOARD_URL).toBe('https://apm.example/d?a=1&b="2"\\x\ttab é ✓ 🚀 é');
    expect(old.MAX_SPANS).toBe('\x7f and \x01 and \\n not a newline');

    const run = edgeInit(dir, '--force');
    expect(run.exitCode, run.out).toBe(0);
    const written = readFileSync(toml, 'utf8');
    const vars = varsOf(written);
    const kept = Object.keys(EDITS);
    for (const name of kept) expect(vars[name], name).toEqual(old[name]);
    expect(vars).toEqual({ ...defaults, ...Object.fromEntries(kept.map((name) => [name, old[name]])) });
    expect(vars.OLD_SETTING).toBeUndefined();
    expect(readFileSync(join(dir, 'bun-apm-edge', 'wrangler.toml.bak'), 'utf8')).toBe(edited);

    expect(run.out).toContain('wrote wrangler.toml\n');
    expect(run.out).toContain('wrote wrangler.toml.bak\n');
    const keptLine = /kept your \[vars\] (.*)$/m.exec(run.out);
    expect(keptLine, run.out).not.toBeNull();
    expect(keptLine![1]!.split(', ').sort()).toEqual([...kept].sort());
    expect(run.out).toMatch(/left out \[vars\] OLD_SETTING: .*wrangler\.toml\.bak/);
    for (const value of ['paid', 'slow', 'apm.example', 'gone', '2000']) expect(run.out).not.toContain(value);

    // Run again, nothing to change: the file and its backup stay as they are.
    const again = edgeInit(dir, '--force');
    expect(again.out).toContain('kept  wrangler.toml');
    expect(readFileSync(toml, 'utf8')).toBe(written);
    expect(readFileSync(join(dir, 'bun-apm-edge', 'wrangler.toml.bak'), 'utf8')).toBe(edited);
  }, 30_000);

  test('an earlier bun-apm\'s default (MAX_DECOMPRESSED_BYTES 20 MiB, lowered to 8) takes this one\'s, and says so; a value of the user\'s own stays', () => {
    const { dir, toml } = appWithEdge();
    const defaults = varsOf(readFileSync(toml, 'utf8'));
    // As a file written by the earlier template reads, untouched since; ROUTE_CAP set by the user.
    writeFileSync(toml, withLines(readFileSync(toml, 'utf8'), { MAX_DECOMPRESSED_BYTES: 'MAX_DECOMPRESSED_BYTES = "20971520"   # 20 MiB once inflated', ROUTE_CAP: 'ROUTE_CAP = "3000"' }));
    const run = edgeInit(dir, '--force');
    expect(run.exitCode, run.out).toBe(0);
    const vars = varsOf(readFileSync(toml, 'utf8'));
    expect(vars.MAX_DECOMPRESSED_BYTES).toBe(defaults.MAX_DECOMPRESSED_BYTES);
    expect(defaults.MAX_DECOMPRESSED_BYTES).toBe('8388608');
    expect(vars.ROUTE_CAP).toBe('3000');
    expect(/kept your \[vars\] (.*)$/m.exec(run.out)?.[1]).toBe('ROUTE_CAP');
    expect(run.out).toMatch(/\[vars\] MAX_DECOMPRESSED_BYTES: an earlier bun-apm's default, now this one's .*wrangler\.toml\.bak/);
  }, 30_000);

  test('each [env.NAME] the rewrite leaves out is named, with where its values are (none printed)', () => {
    const { dir, toml } = appWithEdge();
    const edited = `${readFileSync(toml, 'utf8')}\n[env.production.vars]\nPLAN = "paid"\n\n[env."eu.staging"]\nname = "edge-eu-staging"\n`;
    writeFileSync(toml, edited);
    const run = edgeInit(dir, '--force');
    expect(run.exitCode, run.out).toBe(0);
    expect((Bun.TOML.parse(readFileSync(toml, 'utf8')) as { env?: unknown }).env).toBeUndefined();
    expect(run.out).toMatch(/left out \[env\.production\]: .*its values are in wrangler\.toml\.bak/);
    expect(run.out).toMatch(/left out \[env\."eu\.staging"\]: .*wrangler\.toml\.bak/);
    for (const value of ['paid', 'edge-eu-staging']) expect(run.out).not.toContain(value);
    expect(readFileSync(join(dir, 'bun-apm-edge', 'wrangler.toml.bak'), 'utf8')).toBe(edited);
  }, 30_000);

  const tricky = [
    '', '"', "'", "'''", '"""', '\\', '\\n', '\n', '\n\nleading newlines', 'trailing newline\n', 'crlf\r\nline', 'tab\there',
    'unicode é ✓ 🚀 \u2028 \u00a0', 'control \x00 \x1b \x7f', "ends with '", "ends with ''", '# not a comment', 'a = "b" # c',
    JSON.stringify([{ name: 'slow', metric: 'p95', op: '>', threshold: 500, note: 'a "b" \\ c\nd' }], null, 2),
  ];
  test('any string value round-trips exactly through the rewrite, multi-line JSON rules included', () => {
    const { dir, toml } = appWithEdge();
    const fresh = readFileSync(toml, 'utf8');
    for (const value of tricky) {
      // The value set by TOML's own basic-string escapes (JSON's, DEL escaped), whatever the rewrite then chooses.
      const basic = JSON.stringify(value).replace(/\x7f/g, '\\u007f');
      writeFileSync(toml, withLines(fresh, { ALERT_RULES: `ALERT_RULES = ${basic}` }));
      expect(varsOf(readFileSync(toml, 'utf8')).ALERT_RULES, JSON.stringify(value)).toBe(value);
      const run = edgeInit(dir, '--force');
      expect(run.exitCode, run.out).toBe(0);
      expect(varsOf(readFileSync(toml, 'utf8')).ALERT_RULES, JSON.stringify(value)).toBe(value);
    }
  }, 60_000);
});

// A review: vars the edge reads that the template does not list (SHARDS, DASHBOARD_PATH, …) were left
// out "as the template no longer has them": a dropped SHARDS leaves the stores app#1… unread after the redeploy.
test('edge init --force keeps every var the edge reads, as written (numbers, tables), appended to [vars]; unknown names and secrets left out and named', () => {
  const { dir, toml } = appWithEdge();
  const defaults = varsOf(readFileSync(toml, 'utf8'));
  const rules = `
[[vars.ALERT_RULES]]
name = "slow"
metric = "p95"
op = ">"
threshold = 500

[[vars.ALERT_RULES]]
name = "errors"
metric = "error_rate"
op = ">"
threshold = 0.05
tags = { team = "web", pages = [1, 2] }
`;
  const edited = `${readFileSync(toml, 'utf8').replace(/^ALERT_RULES = .*\n/m, '').replace(/^\[vars\]$/m, '[vars]\nSHARDS = 2\nDASHBOARD_PATH = "/apm"\nDASHBOARD_REFRESH_MS = 7000\nPALN = "paid"\nINGEST_KEYS = "shop:a-secret-key-0123456789"')}${rules}`;
  writeFileSync(toml, edited);
  const old = varsOf(edited);
  expect(old.SHARDS).toBe(2);
  expect(old.ALERT_RULES).toEqual([
    { name: 'slow', metric: 'p95', op: '>', threshold: 500 },
    { name: 'errors', metric: 'error_rate', op: '>', threshold: 0.05, tags: { team: 'web', pages: [1, 2] } },
  ]);

  const run = edgeInit(dir, '--force');
  expect(run.exitCode, run.out).toBe(0);
  const vars = varsOf(readFileSync(toml, 'utf8'));
  const kept = ['SHARDS', 'DASHBOARD_PATH', 'DASHBOARD_REFRESH_MS', 'ALERT_RULES'];
  expect(vars).toEqual({ ...defaults, ...Object.fromEntries(kept.map((name) => [name, old[name]])) });
  expect(vars.SHARDS).toBe(2);
  expect(vars.DASHBOARD_REFRESH_MS).toBe(7000);

  const keptLine = /kept your \[vars\] (.*)$/m.exec(run.out);
  expect(keptLine, run.out).not.toBeNull();
  for (const name of kept) expect(keptLine![1]).toContain(name);
  expect(run.out).toMatch(/left out \[vars\] PALN: .*wrangler\.toml\.bak/);
  expect(run.out).toMatch(/left out \[vars\] INGEST_KEYS: .*secret/);
  expect(run.out).not.toMatch(/left out \[vars\] [^:]*(SHARDS|DASHBOARD_PATH|DASHBOARD_REFRESH_MS)/);
  for (const value of ['paid', 'a-secret-key', '/apm', '7000', 'slow']) expect(run.out).not.toContain(value);

  // Run again: nothing to change.
  const again = edgeInit(dir, '--force');
  expect(again.out).toContain('kept  wrangler.toml');
}, 30_000);
