// `bun-apm doctor` refuses the exporter entries the preload refuses, in the preload's words: it had
// said "✓ config" and exited 0 for `type: 'jeager'`, and the app then started unmonitored.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dir, '..', '..', '..');
const CLI = join(ROOT, 'src', 'plugin', 'cli', 'main.ts');

/** This environment without bun-apm's settings or the exporters' endpoint variables (a test run's own would leak in). */
function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith('BUN_APM_') && key !== 'JAEGER_ENDPOINT' && key !== 'ZIPKIN_ENDPOINT') env[key] = value;
  }
  return env;
}

async function run(cmd: string[], cwd: string): Promise<{ code: number; out: string; err: string }> {
  // Spawned, not spawnSync: the stand-in edge answers from this process.
  const child = Bun.spawn(cmd, { cwd, env: cleanEnv(), stdout: 'pipe', stderr: 'pipe' });
  const [out, err] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text()]);
  return { code: await child.exited, out, err };
}

describe('doctor: exporters', () => {
  let edge: ReturnType<typeof Bun.serve>;
  beforeAll(() => {
    // Stands in for the edge: every check passes but the config's, so the exit code is the config's.
    edge = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => Response.json({ ok: true, app: 'shop' }) });
  });
  afterAll(() => edge.stop(true));

  /** An app monitored by this checkout's preload (a stand-in package whose preload is it), with `exporters` in its config. */
  function appDir(exporters: string): string {
    const dir = mkdtempSync(join(tmpdir(), 'bun-apm-doctor-exporters-'));
    const pkg = join(dir, 'node_modules', 'bun-apm');
    mkdirSync(pkg, { recursive: true });
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'bun-apm', version: '9.9.9', exports: { './preload': './preload.js' } }));
    writeFileSync(join(pkg, 'preload.js'), `import ${JSON.stringify(join(ROOT, 'src', 'plugin', 'preload.ts'))};\n`);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'shop' }));
    writeFileSync(join(dir, 'bunfig.toml'), 'preload = ["bun-apm/preload"]\n');
    writeFileSync(join(dir, '.env'), `BUN_APM_ENDPOINT=http://127.0.0.1:${edge.port}\nBUN_APM_INGEST_KEY=good-key\n`);
    writeFileSync(join(dir, 'bun-apm.config.ts'), `export default { exporters: ${exporters} };\n`);
    writeFileSync(join(dir, 'app.ts'), 'console.log("app ran");\n');
    return dir;
  }

  const bad = [
    "[{ type: 'jeager', endpoint: 'http://127.0.0.1:14268' }]",
    "[{ type: 'zipkin' }]",
    "[{ type: 'otlp', endpoint: 'not a url' }]",
    "[{ type: 'console', scheduledDelayMs: -1 }]",
    "[{ type: 'console' }, { type: 'custom' }]",
  ];
  for (const exporters of bad) {
    test(`${exporters}: doctor fails the config check with the preload's own message`, async () => {
      const dir = appDir(exporters);
      // The app as it starts: its preload says what is wrong and runs it unmonitored.
      const app = await run([process.execPath, 'app.ts'], dir);
      expect(app.out).toContain('app ran');
      const refused = /^bun-apm: (.*) — monitoring is off, the app runs without it$/m.exec(app.err);
      expect(refused, app.err).not.toBeNull();
      const doctor = await run([process.execPath, CLI, 'doctor', dir], tmpdir());
      expect(doctor.out).toContain(`✗ config   ${refused![1]}\n`);
      expect(doctor.code, doctor.out).toBe(1);
    }, 30_000);
  }

  test('valid exporters pass, and the whole doctor exits 0', async () => {
    const dir = appDir("[{ type: 'console', scheduledDelayMs: 0 }, { type: 'zipkin', endpoint: 'http://127.0.0.1:9411' }]");
    const doctor = await run([process.execPath, CLI, 'doctor', dir], tmpdir());
    expect(doctor.out).toMatch(/^✓ config +app "shop"/m);
    expect(doctor.code, doctor.out).toBe(0);
  }, 30_000);
});
