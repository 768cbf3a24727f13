// An app monitored by this checkout's preload (a stand-in `bun-apm` package whose preload is the
// sources'), run as a child beside `bun-apm doctor`, so that a test compares doctor's verdict with
// what the app's own start says.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dir, '..', '..', '..', '..');
export const CLI = join(ROOT, 'src', 'plugin', 'cli', 'main.ts');
/** The line of a preload that turns monitoring off, its reason captured. */
export const REFUSED = /^bun-apm: (.*) — monitoring is off, the app runs without it$/m;

/** This environment without bun-apm's settings, the exporters' endpoints or `bun test`'s NODE_ENV=test (the run's own would leak in). */
function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith('BUN_APM_') && !/_ENDPOINT$/.test(key) && key !== 'NODE_ENV') env[key] = value;
  }
  return { ...env, ...extra };
}

export async function run(cmd: string[], cwd: string, extra?: Record<string, string>): Promise<{ code: number; out: string; err: string }> {
  // Spawned, not spawnSync: the stand-in edge answers from the test's process.
  const child = Bun.spawn(cmd, { cwd, env: cleanEnv(extra), stdout: 'pipe', stderr: 'pipe' });
  const [out, err] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text()]);
  return { code: await child.exited, out, err };
}

/** A new app directory with `exporters` in its config, `env` as its .env and `files` beside it. */
export function doctorApp(exporters: string, env: string, files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'bun-apm-doctor-app-'));
  const pkg = join(dir, 'node_modules', 'bun-apm');
  mkdirSync(pkg, { recursive: true });
  writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'bun-apm', version: '9.9.9', exports: { './preload': './preload.js' } }));
  writeFileSync(join(pkg, 'preload.js'), `import ${JSON.stringify(join(ROOT, 'src', 'plugin', 'preload.ts'))};\n`);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'shop' }));
  writeFileSync(join(dir, 'bunfig.toml'), 'preload = ["bun-apm/preload"]\n');
  writeFileSync(join(dir, '.env'), env);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  writeFileSync(join(dir, 'bun-apm.config.ts'), `export default { exporters: ${exporters} };\n`);
  writeFileSync(join(dir, 'app.ts'), 'console.log("app ran");\n');
  return dir;
}
