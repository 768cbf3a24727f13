// `bun-apm doctor DIR` checks the environment the app in DIR starts with: DIR's env files as Bun
// loads them, not the command's own directory's. A review found it wrong both ways: JAEGER_ENDPOINT
// only in DIR/.env.local failed an app that starts monitored, and JAEGER_ENDPOINT in the current
// directory's .env.local passed an app whose preload turns monitoring off. Each case is checked
// against the app itself: doctor says what the preload does.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runChecks } from '../../../src/plugin/cli/doctor.ts';
import { environmentFor } from '../../../src/plugin/cli/dot-env.ts';
import { CLI, doctorApp, REFUSED, run } from './support/doctor-app.ts';

describe('doctor DIR: the env files Bun loads for DIR', () => {
  let edge: ReturnType<typeof Bun.serve>;
  beforeAll(() => {
    edge = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => Response.json({ ok: true, app: 'shop' }) });
  });
  afterAll(() => edge.stop(true));

  /** An app monitored by this checkout's preload, with `exporters` in its config and `files` beside its .env. */
  function appDir(exporters: string, files: Record<string, string> = {}, env = `BUN_APM_ENDPOINT=http://127.0.0.1:${edge.port}\nBUN_APM_INGEST_KEY=good-key\n`): string {
    return doctorApp(exporters, env, files);
  }

  /** The app's start and doctor's verdict on it, doctor run from `cwd` (a directory of its own by default). */
  async function appAndDoctor(dir: string, cwd = mkdtempSync(join(tmpdir(), 'bun-apm-doctor-cwd-')), extra?: Record<string, string>) {
    const app = await run([process.execPath, 'app.ts'], dir, extra);
    expect(app.out).toContain('app ran');
    const doctor = await run([process.execPath, CLI, 'doctor', dir], cwd, extra);
    return { refused: REFUSED.exec(app.err)?.[1], doctor };
  }

  test("JAEGER_ENDPOINT only in DIR/.env.local: the app starts monitored, and doctor passes it", async () => {
    const dir = appDir("[{ type: 'jaeger' }]", { '.env.local': 'JAEGER_ENDPOINT=http://127.0.0.1:9\n' });
    const { refused, doctor } = await appAndDoctor(dir);
    expect(refused).toBeUndefined();
    expect(doctor.out).toMatch(/^✓ config +app "shop"/m);
    expect(doctor.code, doctor.out).toBe(0);
  }, 30_000);

  test('.env.development.local counts too, and NODE_ENV=test reads .env.test but not .env.local, as Bun does', async () => {
    const dev = appDir("[{ type: 'jaeger' }]", { '.env.development.local': 'JAEGER_ENDPOINT=http://127.0.0.1:9\n' });
    let { refused, doctor } = await appAndDoctor(dev);
    expect(refused).toBeUndefined();
    expect(doctor.code, doctor.out).toBe(0);

    const testing = appDir("[{ type: 'jaeger' }]", { '.env.local': 'JAEGER_ENDPOINT=http://127.0.0.1:9\n' });
    ({ refused, doctor } = await appAndDoctor(testing, undefined, { NODE_ENV: 'test' }));
    expect(refused).toContain('jaeger');
    expect(doctor.out).toContain(`✗ config   ${refused}\n`);
    expect(doctor.code, doctor.out).toBe(1);

    writeFileSync(join(testing, '.env.test'), 'JAEGER_ENDPOINT=http://127.0.0.1:9\n');
    ({ refused, doctor } = await appAndDoctor(testing, undefined, { NODE_ENV: 'test' }));
    expect(refused).toBeUndefined();
    expect(doctor.code, doctor.out).toBe(0);
  }, 60_000);

  test("JAEGER_ENDPOINT in the current directory's .env.local only: the app is off, and doctor says why", async () => {
    const dir = appDir("[{ type: 'jaeger' }]");
    const cwd = mkdtempSync(join(tmpdir(), 'bun-apm-doctor-cwd-'));
    writeFileSync(join(cwd, '.env.local'), 'JAEGER_ENDPOINT=http://127.0.0.1:9\n');
    const { refused, doctor } = await appAndDoctor(dir, cwd);
    expect(refused).toContain('jaeger');
    expect(doctor.out).toContain(`✗ config   ${refused}\n`);
    expect(doctor.code, doctor.out).toBe(1);
  }, 30_000);

  test('values as Bun reads them: `${PORT}` expanded, backticks, a quoted value over lines (a review: our own reading failed this app)', async () => {
    const env = [`PORT=${edge.port}`, 'BUN_APM_ENDPOINT=http://127.0.0.1:${PORT}', 'BUN_APM_INGEST_KEY=good-key', 'BUN_APM_APP=`shop`',
      'CERT="-----BEGIN', 'BUN_APM_SAMPLE_RATE=2', '-----END"', ''].join('\n');
    const { refused, doctor } = await appAndDoctor(appDir('[]', {}, env));
    expect(refused).toBeUndefined();
    expect(doctor.out).toMatch(/^✓ config +app "shop"/m);
    expect(doctor.out).toContain(`✓ edge     http://127.0.0.1:${edge.port} accepts the ingest key for app "shop"`);
    expect(doctor.code, doctor.out).toBe(0);
  }, 30_000);

  test("the current directory's values are left out as Bun worked them out (`${HOST}` expanded there too)", async () => {
    const dir = appDir("[{ type: 'jaeger' }]");
    const cwd = mkdtempSync(join(tmpdir(), 'bun-apm-doctor-cwd-'));
    writeFileSync(join(cwd, '.env'), 'HOST=127.0.0.1\nJAEGER_ENDPOINT=http://${HOST}:9\n');
    const { refused, doctor } = await appAndDoctor(dir, cwd);
    expect(refused).toContain('jaeger');
    expect(doctor.out).toContain(`✗ config   ${refused}\n`);
    expect(doctor.code, doctor.out).toBe(1);
  }, 30_000);

  test("an `edge` exporter without BUN_APM_ENDPOINT: doctor fails the config in the preload's words, not \"shipped nowhere\"", async () => {
    const dir = appDir("[{ type: 'edge' }]", {}, 'BUN_APM_INGEST_KEY=good-key\n');
    const { refused, doctor } = await appAndDoctor(dir);
    expect(refused).toContain('`edge` exporter needs BUN_APM_ENDPOINT');
    expect(doctor.out).toContain(`✗ config   ${refused}\n`);
    expect(doctor.out).not.toContain('shipped nowhere');
    expect(doctor.code, doctor.out).toBe(1);
  }, 30_000);
});

describe('environmentFor: what the current directory brought is left out', () => {
  test('every variable its env files set, not only BUN_APM_*; what the shell set otherwise stays', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'bun-apm-env-cwd-'));
    writeFileSync(join(cwd, '.env'), 'JAEGER_ENDPOINT=http://a\nBUN_APM_APP=other\nSHARED=from-env\n');
    writeFileSync(join(cwd, '.env.local'), 'SHARED=from-local\nOTEL_EXPORTER_OTLP_ENDPOINT=http://b\n');
    const loaded = { JAEGER_ENDPOINT: 'http://a', BUN_APM_APP: 'other', SHARED: 'from-local', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://b', ZIPKIN_ENDPOINT: 'http://shell', PATH: '/bin' };
    expect(environmentFor(join(cwd, 'elsewhere'), loaded, cwd)).toEqual({ ZIPKIN_ENDPOINT: 'http://shell', PATH: '/bin' });
    expect(environmentFor(cwd, loaded, cwd)).toEqual(loaded);
  });

  test("runChecks reads DIR's env files under the environment given, which wins as it does for Bun", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bun-apm-env-dir-'));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'shop' }));
    writeFileSync(join(dir, '.env'), 'BUN_APM_SAMPLE_RATE=0.5\n');
    writeFileSync(join(dir, '.env.local'), 'BUN_APM_SAMPLE_RATE=2\n');
    // .env.local wins over .env: 2 is refused.
    expect((await runChecks(dir, {})).find((c) => c.label === 'config')!.ok).toBe(false);
    // The environment wins over both; NODE_ENV=test leaves .env.local unread.
    expect((await runChecks(dir, { BUN_APM_SAMPLE_RATE: '0.25' })).find((c) => c.label === 'config')!.detail).toContain('app "shop"');
    expect((await runChecks(dir, { NODE_ENV: 'test' })).find((c) => c.label === 'config')!.detail).toContain('app "shop"');
  });
});
