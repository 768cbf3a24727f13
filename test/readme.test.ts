// The README against the code: its configuration reference names every setting the code reads,
// CI runs its test command verbatim, and its first command works in a fresh clone.
import { describe, expect, test } from 'bun:test';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SECRET_NAMES } from '../src/core/config/edge-secrets.ts';

const ROOT = join(import.meta.dir, '..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

function commands(): string[] {
  return [...README.matchAll(/```sh\n([^\n]+)\n```/g)].map((m) => m[1]!);
}

describe('README', () => {
  test('opens with exactly two commands: demo, then tests; CI runs the test command verbatim', () => {
    const [demo, tests] = commands();
    expect(demo).toBe('npm ci && npm run demo');
    expect(tests).toBe('npm ci && npm test');
    expect(readFileSync(join(ROOT, '.ci', 'run'), 'utf8')).toContain(tests!);
  });

  // The README and the settings page it links (docs/settings.md holds every setting's row).
  const DOCUMENTED = README + readFileSync(join(ROOT, 'docs', 'settings.md'), 'utf8');

  test('names every BUN_APM_* variable the preload reads (with docs/settings.md)', () => {
    const code = readdirSync(join(ROOT, 'src', 'plugin'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts') && !f.startsWith('cli')).map((f) => readFileSync(join(ROOT, 'src', 'plugin', f), 'utf8')).join('\n');
    const names = new Set(code.match(/BUN_APM_[A-Z_]+/g) ?? []);
    expect(names.size).toBeGreaterThan(5);
    expect([...names].filter((name) => !DOCUMENTED.includes(name))).toEqual([]);
  });

  test('names every Worker secret and every var of wrangler.toml (with docs/settings.md)', () => {
    expect(SECRET_NAMES.filter((name) => !README.includes(name))).toEqual([]);
    const vars = readFileSync(join(ROOT, 'wrangler.toml'), 'utf8').split('[vars]')[1]!.match(/^([A-Z_]+)\s*=/gm)!.map((l) => l.replace(/\s*=$/, ''));
    expect(vars.length).toBeGreaterThan(5);
    expect(vars.filter((name) => !DOCUMENTED.includes(name))).toEqual([]);
  });

  // Runs the first command as written in a fresh clone of the committed tree, with the demo bounded
  // in time. (The second command is what CI runs on a fresh clone; running it here would recurse.)
  test('the demo command works in a fresh clone', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'bun-apm-readme-')), 'clone');
    const git = Bun.spawnSync(['git', 'clone', '--quiet', ROOT, dir]);
    expect(git.exitCode).toBe(0);
    const run = Bun.spawn(['bash', '-c', commands()[0]!], {
      cwd: dir,
      env: { ...process.env, BUN_APM_DEMO_SECONDS: '15', PORT: '0' },
      stdout: 'pipe', stderr: 'pipe',
    });
    const killer = setTimeout(() => run.kill('SIGKILL'), 240_000);
    const [out, err] = await Promise.all([new Response(run.stdout).text(), new Response(run.stderr).text()]);
    clearTimeout(killer);
    expect(await run.exited, err.slice(-2000)).toBe(0);
    expect(out).toMatch(/dashboard\s+http:\/\/127\.0\.0\.1:\d+\/performance\?app=storefront/);
    const counted = /the edge had counted (\d+) for storefront/.exec(out);
    expect(counted, out.slice(-1500)).not.toBeNull();
    expect(Number(counted![1])).toBeGreaterThan(0);
  }, 300_000);
});
