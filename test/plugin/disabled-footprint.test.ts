// BUN_APM_DISABLED=1 leaves (almost) nothing in the app: the preload reads the variable and stops,
// without loading the recorder, batcher and hooks (67 modules, ~45 ms of start-up, a global registry).
import { expect, test } from 'bun:test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from './support/app-process.ts';

const PROBE = `
const ours = Object.keys(require.cache).filter((path) => /[\\\\/](src|dist)[\\\\/](plugin|core|middleware)[\\\\/]/.test(path));
const symbols = Object.getOwnPropertySymbols(globalThis).map(String).filter((name) => name.includes('bun-apm'));
console.log(JSON.stringify({ ours, symbols }));
`;

async function probe(env: Record<string, string>): Promise<{ ours: string[]; symbols: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'bun-apm-disabled-'));
  writeFileSync(join(dir, 'probe.ts'), PROBE);
  const child = Bun.spawn([process.execPath, '--preload', 'bun-apm/preload', join(dir, 'probe.ts')], { cwd: REPO, env: { ...process.env, ...env }, stdout: 'pipe', stderr: 'ignore' });
  const out = await new Response(child.stdout).text();
  await child.exited;
  return JSON.parse(out.trim().split('\n').at(-1)!);
}

test('disabled, the preload loads a few modules of its own and registers nothing; enabled, the rest', async () => {
  const [disabled, enabled] = await Promise.all([probe({ BUN_APM_DISABLED: '1' }), probe({ BUN_APM_DISABLED: '' })]);
  expect(enabled.ours.some((path) => path.includes('start-monitoring'))).toBe(true);
  expect(enabled.symbols).toEqual(['Symbol(bun-apm.registry)']);
  expect(disabled.ours.some((path) => path.includes('start-monitoring'))).toBe(false);
  expect(disabled.symbols).toEqual([]);
  expect(disabled.ours.length).toBeLessThanOrEqual(15);
  expect(enabled.ours.length).toBeGreaterThan(3 * disabled.ours.length);
}, 30_000);
