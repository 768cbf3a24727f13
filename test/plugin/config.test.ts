// Configuration as a user meets it: one flag in bunfig.toml is enough, a bad setting is one clear
// line on stderr naming it and the app serves anyway (unmonitored), BUN_APM_DISABLED turns it all off.
import { afterAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, freePort, startApp, type AppProcess } from './support/app-process.ts';
import { writeConfig } from './support/config-file.ts';
import { waitFor } from './support/wait-for.ts';

/** A sampled caller: an instrumented app answers with traceparent and Server-Timing. */
const TRACED = { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' };

const started: AppProcess[] = [];
afterAll(async () => {
  await Promise.all(started.map((app) => app.kill()));
});

const BAD: Array<{ name: string; env: () => Record<string, string>; names: string }> = [
  { name: 'sample rate out of range', env: () => ({ BUN_APM_SAMPLE_RATE: '2' }), names: 'BUN_APM_SAMPLE_RATE' },
  { name: 'endpoint not http', env: () => ({ BUN_APM_ENDPOINT: 'ftp://edge.example' }), names: 'BUN_APM_ENDPOINT' },
  { name: 'flag not a flag', env: () => ({ BUN_APM_DEBUG: 'maybe' }), names: 'BUN_APM_DEBUG' },
  { name: 'config file that throws', env: () => ({ BUN_APM_CONFIG: writeConfig("throw new Error('oops');") }), names: 'bun-apm.config.ts' },
  { name: 'config file without a default export', env: () => ({ BUN_APM_CONFIG: writeConfig('export const x = 1;') }), names: 'bun-apm.config.ts' },
  { name: 'exporter without endpoint', env: () => ({ BUN_APM_CONFIG: writeConfig("export default { exporters: [{ type: 'zipkin' }] };") }), names: 'exporters[0] (zipkin)' },
  { name: 'missing config file', env: () => ({ BUN_APM_CONFIG: '/nonexistent/bun-apm.config.ts' }), names: 'BUN_APM_CONFIG' },
];

describe('configuration', () => {
  test.each(BAD)('$name: one line naming $names, the app serves unmonitored', async ({ env, names }) => {
    const app = await startApp('routes-app.ts', { env: env() });
    started.push(app);
    const response = await app.fetch('/users/1');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ id: '1', name: 'Ada' });
    expect((await app.fetch('/health', { headers: TRACED })).headers.get('traceparent')).toBeNull(); // monitoring is off
    await waitFor(() => app.stderr.includes('monitoring is off') || undefined, 5_000);
    const lines = app.stderr.trim().split('\n').filter((line) => line.startsWith('bun-apm'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(names);
    expect(lines[0]).toContain('monitoring is off');
  }, 20_000);

  test('a misspelled setting: one line naming it and the real name; the app is monitored with the rest', async () => {
    const app = await startApp('routes-app.ts', { env: { BUN_APM_SAMPEL_RATE: '0.5' } });
    started.push(app);
    expect((await app.fetch('/health', { headers: TRACED })).headers.get('traceparent')).not.toBeNull(); // monitoring is on
    await waitFor(() => app.stderr.includes('BUN_APM_SAMPEL_RATE') || undefined, 5_000);
    const lines = app.stderr.trim().split('\n').filter((line) => line.includes('BUN_APM_SAMPEL_RATE'));
    expect(lines).toEqual(['bun-apm: BUN_APM_SAMPEL_RATE is no bun-apm setting and is ignored (did you mean BUN_APM_SAMPLE_RATE?)']);
  }, 20_000);

  test('BUN_APM_DISABLED=1: nothing instrumented, nothing said', async () => {
    const app = await startApp('routes-app.ts', { env: { BUN_APM_DISABLED: '1' } });
    started.push(app);
    const response = await app.fetch('/health', { headers: TRACED });
    expect(response.status).toBe(200);
    expect(response.headers.get('traceparent')).toBeNull();
    expect(app.stderr).not.toContain('bun-apm');
  }, 20_000);

  test('no endpoint: measured (Server-Timing on traced responses), said once on stderr', async () => {
    const app = await startApp('hono-app.ts');
    started.push(app);
    for (let i = 0; i < 3; i++) expect((await app.fetch('/users/1', { headers: TRACED })).headers.get('server-timing')).toMatch(/^total;dur=/);
    await waitFor(() => app.stderr.includes('BUN_APM_ENDPOINT') || undefined, 5_000);
    expect(app.stderr.match(/BUN_APM_ENDPOINT is not set/g)).toHaveLength(1);
  }, 20_000);

  test('`preload = ["bun-apm/preload"]` in bunfig.toml instruments the app with no flag', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bun-apm-bunfig-'));
    const bunfig = join(dir, 'bunfig.toml');
    writeFileSync(bunfig, 'preload = ["bun-apm/preload"]\n');
    const port = freePort();
    const child = Bun.spawn([process.execPath, `--config=${bunfig}`, join('examples', 'routes-app.ts')], {
      cwd: REPO,
      env: { ...process.env, PORT: String(port), BUN_APM_ENDPOINT: '' },
      stdout: 'ignore',
      stderr: 'ignore',
    });
    try {
      const response = await waitFor(() => fetch(`http://127.0.0.1:${port}/users/1`, { headers: TRACED }).catch(() => undefined), 15_000);
      expect(response?.status).toBe(200);
      expect(response?.headers.get('server-timing')).toMatch(/^total;dur=/);
    } finally {
      child.kill('SIGKILL');
      await child.exited;
    }
  }, 20_000);
});
