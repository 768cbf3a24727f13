// A config file kept apart from the app (BUN_APM_CONFIG=/etc/…), where the bun-apm package cannot
// be found from it: the app's own import of the real package still works. A module named bun-apm
// that the preload provided for compiled executables had been the whole process's, and the app
// failed at start ("Export named 'QuantileSketch' not found in module 'bun-apm'": a review).
import { expect, test } from 'bun:test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from './support/app-process.ts';

test('an app importing bun-apm runs under the preload with a config file outside it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bun-apm-config-elsewhere-'));
  const config = join(dir, 'bun-apm.config.ts');
  writeFileSync(config, "import { defineConfig } from 'bun-apm';\n\nexport default defineConfig({ flushIntervalMs: 5000 });\n");
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', NO_COLOR: '1', BUN_APM_CONFIG: config };
  const child = Bun.spawn([process.execPath, '--preload', 'bun-apm/preload', join('test', 'plugin', 'fixtures', 'own-import-app.ts')], { cwd: REPO, env, stdout: 'pipe', stderr: 'pipe' });
  const [out, err] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text()]);
  expect({ code: await child.exited, out, err: err.includes('not found in module') }).toEqual({ code: 0, out: 'sketch count 1\n', err: false });
}, 30_000);
