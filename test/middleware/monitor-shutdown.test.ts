// A PerformanceMonitor's storage at the end of the process, in real processes: what its custom
// handler or its file had not yet been given is handed on at SIGTERM under the preload (within the
// shutdown's budget, the signal then re-raised as before), written at process.exit() (file storage,
// with or without the preload), or counted on stderr when it cannot be (a custom handler at exit).
import { afterAll, expect, test } from 'bun:test';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppProcess, REPO } from '../plugin/support/app-process.ts';
import { waitFor } from '../plugin/support/wait-for.ts';

const apps: AppProcess[] = [];
afterAll(async () => void (await Promise.all(apps.map((app) => app.kill()))));

const dir = mkdtempSync(join(tmpdir(), 'monitor-shutdown-'));
/** Requests served before the end: more than one of anything, fewer than a batch. */
const N = 40;
/** Records enough for the writer to have a chunk of 1,000 lines under way at exit. */
const BIG = 10_000;

/** This suite's ports: 47100–47199, the first one free. */
let nextPort = 47100;
function port(): number {
  for (; nextPort < 47200; nextPort++) {
    try {
      Bun.serve({ hostname: '127.0.0.1', port: nextPort, fetch: () => new Response() }).stop(true);
      return nextPort++;
    } catch {
      // taken: the next one
    }
  }
  throw new Error('no free port in 47100–47199');
}

/** Starts monitor-shutdown-app.ts (under the preload unless `plain`) and waits until it answers. */
async function start(storage: 'custom' | 'file', plain: boolean, extra: Record<string, string> = {}): Promise<{ app: AppProcess; out: string }> {
  const out = extra.OUT ?? join(dir, `${storage}-${nextPort}.out`);
  const p = port();
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined && !key.startsWith('BUN_APM_')) env[key] = value;
  const preload = plain ? [] : ['--preload', 'bun-apm/preload'];
  const child = Bun.spawn([process.execPath, ...preload, 'test/middleware/monitor-shutdown-app.ts'], {
    cwd: REPO,
    env: { ...env, NO_COLOR: '1', PORT: String(p), STORAGE: storage, OUT: out, ...extra },
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const app = new AppProcess(child, p);
  apps.push(app);
  const ready = await waitFor(() => (child.exitCode !== null ? 'exited' : app.fetch('/ready').then(() => 'ready', () => undefined)), 15_000);
  if (ready !== 'ready') throw new Error(`the app did not start (${ready ?? 'timeout'}):\n${app.stderr}`);
  return { app, out };
}

/** N requests, /r/0 … /r/N-1, one after the other. */
async function serve(app: AppProcess): Promise<string[]> {
  const paths = Array.from({ length: N }, (_, i) => `/r/${i}`);
  for (const path of paths) await (await app.fetch(path)).text();
  return paths;
}

const lines = (file: string): string[] => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((line) => line !== '') : []);

/** How the process ended. */
async function ended(app: AppProcess): Promise<{ code: number | null; signal: string | null }> {
  await app.exited;
  return { code: app.process.exitCode, signal: app.process.signalCode as string | null };
}

test('under the preload, SIGTERM: the custom handler gets every record pending, and the process dies of SIGTERM as before', async () => {
  const { app, out } = await start('custom', false);
  const paths = await serve(app);
  app.process.kill('SIGTERM');
  expect(await ended(app)).toEqual({ code: null, signal: 'SIGTERM' });
  // Was: 0 of 40 (the batch waited for batchSize or flushInterval, and the process died first).
  // The /ready probe is a request too, counted before the others.
  expect(lines(out)).toEqual(['GET /ready', ...paths.map((path) => `GET ${path}`)]);
}, 30_000);

test('under the preload, SIGTERM with file storage: every record pending is in the file', async () => {
  const { app, out } = await start('file', false);
  void app.fetch(`/burst?n=${N}&then=term`).catch(() => {});
  expect(await ended(app)).toEqual({ code: null, signal: 'SIGTERM' });
  const written = lines(out).map((line) => JSON.parse(line).path as string);
  // Was: only /ready (written before the burst).
  expect(written).toEqual(['/ready', ...Array.from({ length: N }, (_, i) => `/burst/${i}`)]);
}, 30_000);

test('without the preload, process.exit(): file storage writes every pending record at exit', async () => {
  const { app, out } = await start('file', true);
  void app.fetch(`/burst?n=${N}&then=exit`).catch(() => {});
  expect(await ended(app)).toEqual({ code: 0, signal: null });
  const written = lines(out).map((line) => JSON.parse(line).path as string);
  // Was: only /ready.
  expect(written).toEqual(['/ready', ...Array.from({ length: N }, (_, i) => `/burst/${i}`)]);
  expect(app.stderr).toBe('');
}, 30_000);

test('without the preload, process.exit() while the writer has a chunk under way: every record once, none twice', async () => {
  // The writer's append runs on another thread: it can land while the exit writes, or after.
  for (let run = 0; run < 6; run++) {
    const { app, out } = await start('file', true);
    void app.fetch(`/burst?n=${BIG}&then=exit&together`).catch(() => {});
    expect(await ended(app)).toEqual({ code: 0, signal: null });
    const written = lines(out).map((line) => JSON.parse(line).path as string);
    expect(written.length).toBe(BIG + 1);
    expect(new Set(written).size).toBe(BIG + 1);
    expect(app.stderr).toBe('');
  }
}, 60_000);

test('without the preload, process.exit() while the writer renames a full file to .1: the rotation happens once and no line is lost', async () => {
  // 99 old lines and /ready fill a file of 100: the burst's first step is the rename, still under
  // way at exit. Renamed again at exit, the late rename put the new file over .1, or failed loudly.
  for (let run = 0; run < 6; run++) {
    const file = join(dir, `rotating-${run}.jsonl`);
    writeFileSync(file, Array.from({ length: 99 }, (_, i) => `${JSON.stringify({ path: `/old/${i}` })}\n`).join(''));
    const { app } = await start('file', true, { OUT: file, MAX_ENTRIES: '100' });
    void app.fetch('/burst?n=250&then=exit&together').catch(() => {});
    expect(await ended(app)).toEqual({ code: 0, signal: null });
    const paths = (name: string) => lines(name).map((line) => JSON.parse(line).path as string);
    // 250 after a full file: two more files of 100 (the second of them is .1 now) and one of 50.
    expect(paths(`${file}.1`)).toEqual(Array.from({ length: 100 }, (_, i) => `/burst/${100 + i}`));
    expect(paths(file)).toEqual(Array.from({ length: 50 }, (_, i) => `/burst/${200 + i}`));
    expect(app.stderr).toBe('');
  }
}, 60_000);

test('under the preload, process.exit() with custom storage: nothing is called, and one stderr line counts the records not handed on', async () => {
  const { app, out } = await start('custom', false);
  await serve(app);
  void app.fetch('/burst?n=0&then=exit').catch(() => {});
  expect(await ended(app)).toEqual({ code: 0, signal: null });
  expect(lines(out)).toEqual([]);
  // N requests and the /ready probe; the line names no record's contents.
  const counted = app.stderr.split('\n').filter((line) => line.includes('storage.customHandler'));
  expect(counted).toEqual([`bun-apm: at exit, ${N + 1} performanceMonitor record(s) not handed to storage.customHandler, which cannot run at process.exit(): await monitor.close() before exiting to keep them`]);
}, 30_000);

test('without the preload, the event loop runs dry (the server stopped): the custom handler gets every record', async () => {
  const { app, out } = await start('custom', true);
  const paths = await serve(app);
  await (await app.fetch('/stop')).text();
  expect(await ended(app)).toEqual({ code: 0, signal: null });
  // Was: none (flushInterval's timer does not hold the process, and nothing flushed at its end).
  expect(lines(out)).toEqual(['GET /ready', ...paths.map((path) => `GET ${path}`)]);
}, 30_000);

test('under the preload, SIGTERM and a custom handler that never settles: the process still dies of SIGTERM within the 2 s budget, and says so', async () => {
  const { app } = await start('custom', false, { HANG: '1' });
  await serve(app);
  const from = performance.now();
  app.process.kill('SIGTERM');
  expect(await ended(app)).toEqual({ code: null, signal: 'SIGTERM' });
  const took = performance.now() - from;
  expect(took).toBeGreaterThan(1900);
  expect(took).toBeLessThan(3000);
  const said = app.stderr.split('\n').filter((line) => line.includes('performanceMonitor'));
  expect(said).toEqual([`bun-apm: at exit, ${N + 1} performanceMonitor record(s) not written or handed on by its storage within 2000 ms; given up`]);
}, 30_000);
