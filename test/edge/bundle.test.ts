// The Worker bundle: built by wrangler exactly as `bun run deploy` would (dry run), and free of
// Node and Bun code; the local bundler refuses a module that reaches for them.
import { describe, expect, test } from 'bun:test';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { bundleModule, bundleWorker } from '../../scripts/local-edge.ts';

const ROOT = resolve(import.meta.dir, '../..');
const NODE_OR_BUN_IMPORT = /\bfrom\s*["'](node:|bun:|bun["'])|\brequire\(\s*["'](node:|bun)/;

describe('the Worker bundle', () => {
  test('wrangler bundles wrangler.toml\'s main without Node or Bun imports (deploy --dry-run)', () => {
    const out = mkdtempSync(join(tmpdir(), 'bun-apm-wrangler-'));
    try {
      const run = Bun.spawnSync(['node', join(ROOT, 'node_modules/wrangler/bin/wrangler.js'), 'deploy', '--dry-run', '--outdir', out], {
        cwd: ROOT,
        env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: '1' },
      });
      const output = run.stdout.toString() + run.stderr.toString();
      expect(run.exitCode, output).toBe(0);
      expect(output).toContain('env.APP_STORE (AppStore)');
      const bundle = readFileSync(join(out, 'worker.js'), 'utf8');
      // Checked as booleans: a failing match would print 100 kB of bundle.
      expect(/export\s*\{[^}]*\bAppStore\b/.test(bundle)).toBe(true);
      expect(NODE_OR_BUN_IMPORT.test(bundle)).toBe(false);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 60_000);

  test('the local bundles hold no Node or Bun imports', async () => {
    for (const entry of ['production', 'local'] as const) expect(NODE_OR_BUN_IMPORT.test(await bundleWorker(entry))).toBe(false);
  });

  test('a module importing node:fs is refused', async () => {
    await expect(bundleModule(join(import.meta.dir, 'fixtures/imports-node.ts'))).rejects.toThrow(/imports node:fs: the Worker bundle must not pull in Node or Bun code/);
  });
});
