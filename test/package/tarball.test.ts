// What `npm pack` ships and what `bun add` of it costs an app: the runtime sources, the assets both
// dashboards serve, the edge's wrangler.toml, README and LICENSE, and nothing of the repository's
// own (tests, benchmarks, examples, scripts, demo state, lockfile); two runtime dependencies.
import { describe, expect, test } from 'bun:test';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { installApp, packTarball, REPO, runOk } from './support/consumer.ts';

const KB = 1000;
const MB = 1000 * KB;

describe('the tarball', () => {
  test('ships the runtime, the assets and the edge template, and nothing of the repository\'s own', async () => {
    const packed = await packTarball();
    const files = new Set(packed.files);
    for (const path of ['package.json', 'README.md', 'LICENSE', 'wrangler.toml', 'src/plugin/preload.ts', 'src/plugin/cli/main.ts', 'src/middleware/index.ts',
      'src/edge/worker.ts', 'src/views/layout.tsx', 'public/dashboard.js', 'public/dashboard.css', 'public/vendor/htmx.min.js', 'public/vendor/uPlot.iife.min.js', 'public/vendor/uPlot.min.css']) {
      expect(files.has(path), path).toBe(true);
    }
    const allowed = /^(package\.json|README\.md|LICENSE|wrangler\.toml|src\/.+\.tsx?|public\/(.+\.(js|css)|_headers))$/;
    expect(packed.files.filter((path) => !allowed.test(path))).toEqual([]);
    // Local-only code: the workerd entry with test hooks, the benchmark's floor, the repo's tsconfig.
    for (const path of ['src/edge/local-entry.ts', 'src/edge/store/floor.ts', 'src/edge/tsconfig.json']) expect(files.has(path), path).toBe(false);
    // Every source file that ships is one the package's entry points can reach: none is left out.
    const sources = (dir: string): string[] => readdirSync(join(REPO, dir), { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile() && /\.tsx?$/.test(entry.name))
      .map((entry) => join(entry.parentPath, entry.name).slice(REPO.length + 1));
    const missing = sources('src').filter((path) => !files.has(path) && !['src/edge/local-entry.ts', 'src/edge/store/floor.ts'].includes(path));
    expect(missing).toEqual([]);

    const manifest = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'));
    expect(Object.keys(manifest.dependencies).sort()).toEqual(['@kitajs/html', 'valibot']);
    expect(manifest.scripts.postinstall).toBeUndefined();
    expect(manifest.peerDependenciesMeta).toEqual({ hono: { optional: true }, nodemailer: { optional: true } });
    console.log(`tarball: ${packed.files.length} files, ${(packed.bytes / KB).toFixed(1)} kB (${(packed.unpackedBytes / KB).toFixed(1)} kB unpacked)`);
    expect(packed.bytes).toBeLessThanOrEqual(300 * KB);
  }, 120_000);

  test('installed into an empty app: bun-apm and its two dependencies, under 5 MB', async () => {
    const dir = await installApp({ name: 'empty' });
    const installed = readdirSync(join(dir, 'node_modules')).filter((name) => !name.startsWith('.')).sort();
    // @kitajs/html brings csstype (its JSX types); nothing else comes.
    expect(installed).toEqual(['@kitajs', 'bun-apm', 'csstype', 'valibot']);
    const du = (await runOk(['du', '-sk', 'node_modules'], dir)).out;
    const apparent = (await runOk(['du', '-sk', '--apparent-size', 'node_modules'], dir)).out;
    const kib = Number(du.split('\t')[0]);
    console.log(`installed footprint: du -sk node_modules = ${kib} KiB on disk (${Number(apparent.split('\t')[0])} KiB apparent)`);
    expect(kib * 1024).toBeLessThanOrEqual(5 * MB);
  }, 120_000);
});
