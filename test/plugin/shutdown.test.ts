// The last batch arrives however the app ends, and the app ends exactly as it would have without
// the preload: same exit code, same death by signal. The flush interval is long, so only the final
// flush can have delivered what the sink holds.
import { afterAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { freePort, listening, REPO, startApp, type AppProcess } from './support/app-process.ts';
import { IngestSink } from './support/ingest-sink.ts';
import { drive, type Probe } from './support/load.ts';

const LONG = '600000';
const started: AppProcess[] = [];
const sink = new IngestSink().start();
afterAll(async () => {
  await Promise.all(started.map((app) => app.kill()));
  await sink.stop();
});

const env = (app: string) => ({ BUN_APM_ENDPOINT: sink.url, BUN_APM_INGEST_KEY: sink.ingestKey, BUN_APM_FLUSH_INTERVAL_MS: LONG, BUN_APM_APP: app });
const countFor = (app: string) => sink.batches.filter((b) => b.identity.app === app).reduce((n, b) => n + b.rollups.reduce((m, c) => m + c.count, 0), 0);

const CASES: Array<{ example: string; signal: 'SIGTERM' | 'SIGINT'; expected: { code: number | null; signal: string | null }; probe: Probe }> = [
  { example: 'hono-app.ts', signal: 'SIGTERM', expected: { code: null, signal: 'SIGTERM' }, probe: { method: 'GET', path: '/users/1', status: 200, key: '' } },
  { example: 'bun-router-app.ts', signal: 'SIGINT', expected: { code: null, signal: 'SIGINT' }, probe: { method: 'GET', path: '/users/1', status: 200, key: '' } },
  { example: 'routes-app.ts', signal: 'SIGTERM', expected: { code: 0, signal: null }, probe: { method: 'GET', path: '/users/1', status: 200, key: '' } },
];

describe('shutdown', () => {
  test.each(CASES)('$signal mid-run on $example: last batch arrives, exit as without the preload', async ({ example, signal, expected, probe }) => {
    const name = `shutdown-${example}`;
    const app = await startApp(example, { env: env(name) });
    started.push(app);
    await drive(app.url, [probe], 40);
    app.process.kill(signal);
    await app.exited;
    expect({ code: app.process.exitCode, signal: app.process.signalCode as string | null }).toEqual(expected);
    expect(countFor(name)).toBe(40);

    const plain = await startApp(example, { plain: true });
    started.push(plain);
    // One answer first: the port takes connections before the rest of the app's first module has run
    // (its SIGTERM handler); signalled then, the plain app once died of the signal.
    await drive(plain.url, [probe], 1);
    plain.process.kill(signal);
    await plain.exited;
    expect({ code: plain.process.exitCode, signal: plain.process.signalCode as string | null }).toEqual(expected);
  }, 30_000);

  test('a script that never serves ships nothing and starts no child at exit', async () => {
    const before = sink.attempts.length;
    const child = Bun.spawn([process.execPath, '--preload', 'bun-apm/preload', join('test', 'plugin', 'fixtures', 'no-server.ts')], {
      cwd: REPO,
      env: { ...process.env, ...env('no-server') },
      stdout: 'pipe',
      stderr: 'pipe',
    });
    await child.exited;
    expect(child.exitCode).toBe(0);
    expect(await new Response(child.stdout).text()).toBe('done\n');
    expect(sink.attempts.length).toBe(before);
  }, 30_000);

  test.each([
    { mode: 'natural', code: 3, requests: 5 },
    // /leave never answers (process.exit inside its handler): an unfinished request is not counted.
    { mode: 'exit', code: 7, requests: 5 },
    // /fatal threw, and the error handler ended the process before answering: counted, as Bun's 500 would have been (review).
    { mode: 'error-exit', code: 9, requests: 6 },
  ])('$mode exit: code $code kept, every request shipped', async ({ mode, code, requests }) => {
    const name = `exit-${mode}`;
    const child = Bun.spawn([process.execPath, '--preload', 'bun-apm/preload', join('test', 'plugin', 'fixtures', 'exit-app.ts')], {
      cwd: REPO,
      env: { ...process.env, ...env(name), EXIT_MODE: mode },
      stdout: 'ignore',
      stderr: 'pipe',
    });
    await child.exited;
    expect(child.exitCode).toBe(code);
    expect(countFor(name)).toBe(requests);
  }, 30_000);

  // A review: Bun.serve requests still being handled at a SIGTERM were counted nowhere, unsaid; their
  // clients got ECONNRESET. No status was sent, so none is counted; the exit says how many.
  test('requests cut off by the exit are said, and the answered ones shipped', async () => {
    const name = 'cut-off';
    const port = freePort();
    const child = Bun.spawn([process.execPath, '--preload', 'bun-apm/preload', join('test', 'plugin', 'fixtures', 'slow-app.ts')], {
      cwd: REPO,
      env: { ...process.env, ...env(name), PORT: String(port) },
      stdout: 'ignore',
      stderr: 'pipe',
    });
    expect(await listening([port])).toBe(true);
    for (let i = 0; i < 2; i++) expect((await fetch(`http://127.0.0.1:${port}/fast`)).status).toBe(200);
    const cut = Array.from({ length: 3 }, () => fetch(`http://127.0.0.1:${port}/slow`).then(() => 'answered', () => 'cut off'));
    await Bun.sleep(300); // all three in their handlers
    child.kill('SIGTERM');
    await child.exited;
    expect(await Promise.all(cut)).toEqual(['cut off', 'cut off', 'cut off']);
    expect(await new Response(child.stderr).text()).toContain('bun-apm: at exit, 3 request(s) still being handled were cut off unanswered: not counted');
    expect(countFor(name)).toBe(2);
  }, 30_000);
});
