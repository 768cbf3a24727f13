// `bun-apm doctor` refuses the exporter entries the preload refuses, in the preload's words: it had
// said "✓ config" and exited 0 for `type: 'jeager'`, and the app then started unmonitored.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { tmpdir } from 'node:os';
import { CLI, doctorApp, REFUSED, run } from './support/doctor-app.ts';

describe('doctor: exporters', () => {
  let edge: ReturnType<typeof Bun.serve>;
  beforeAll(() => {
    // Stands in for the edge: every check passes but the config's, so the exit code is the config's.
    edge = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => Response.json({ ok: true, app: 'shop' }) });
  });
  afterAll(() => edge.stop(true));

  const appDir = (exporters: string) => doctorApp(exporters, `BUN_APM_ENDPOINT=http://127.0.0.1:${edge.port}\nBUN_APM_INGEST_KEY=good-key\n`);

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
      const refused = REFUSED.exec(app.err);
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
