// A container's first process (`CMD ["bun", "app.ts"]`) is PID 1, which the kernel does not kill
// with a signal it has no handler for: without bun-apm the app serves on after SIGTERM until the
// runtime's SIGKILL. Under the preload it must too (it had exited half a second after its flush,
// cutting off the requests in flight), and go on counting. Run as PID 1 of a new PID namespace.
import { afterAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { freePort, listening, REPO } from './support/app-process.ts';
import { IngestSink } from './support/ingest-sink.ts';
import { waitFor } from './support/wait-for.ts';

/** `unshare` may create a PID namespace here (root, or a user namespace allowed). */
const canUnshare = Bun.spawnSync(['unshare', '--pid', '--fork', '--mount-proc', 'true'], { stderr: 'ignore', stdout: 'ignore' }).exitCode === 0;
if (!canUnshare) console.warn('pid1-signal.test.ts: unshare --pid is not allowed on this machine; the test is skipped');

const sink = new IngestSink().start();
const children: Array<ReturnType<typeof Bun.spawn>> = [];
const apps: number[] = [];
afterAll(async () => {
  for (const pid of apps) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  for (const child of children) child.kill('SIGKILL');
  await sink.stop();
});

const counted = (app: string) => sink.batches.filter((b) => b.identity.app === app).reduce((n, b) => n + b.rollups.reduce((m, c) => m + c.count, 0), 0);

/** The app's process as PID 1 of its own namespace; returns it and its pid as this namespace sees it. */
async function asPid1(app: string, preload: boolean): Promise<{ port: number; hostPid: number; unshare: ReturnType<typeof Bun.spawn>; stderr: () => string }> {
  const port = freePort();
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', NO_COLOR: '1', PORT: String(port) };
  if (preload) Object.assign(env, { BUN_APM_ENDPOINT: sink.url, BUN_APM_INGEST_KEY: sink.ingestKey, BUN_APM_APP: app, BUN_APM_FLUSH_INTERVAL_MS: '600000' });
  const command = [process.execPath, ...(preload ? ['--preload', 'bun-apm/preload'] : []), join('test', 'plugin', 'fixtures', 'container-app.ts')];
  // --kill-child: the app (PID 1 of its namespace) dies with unshare, else it outlives the test.
  const unshare = Bun.spawn(['unshare', '--pid', '--fork', '--kill-child', '--mount-proc', ...command], { cwd: REPO, env, stdout: 'pipe', stderr: 'pipe' });
  children.push(unshare);
  let err = '';
  void (async () => {
    const reader = (unshare.stderr as ReadableStream<Uint8Array>).getReader();
    for (let read = await reader.read(); !read.done; read = await reader.read()) err += new TextDecoder().decode(read.value);
  })();
  expect(await listening([port])).toBe(true);
  const pid = Bun.spawnSync(['pgrep', '-P', String(unshare.pid)]).stdout.toString().trim();
  expect(pid).toMatch(/^\d+$/);
  apps.push(Number(pid));
  // The app sees itself as PID 1.
  expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('ok 1');
  return { port, hostPid: Number(pid), unshare, stderr: () => err };
}

/** SIGTERM with slow requests in flight, then more requests: every one answered, the process still there. */
async function sigtermMidRun(port: number, hostPid: number): Promise<number> {
  const get = (path: string) => fetch(`http://127.0.0.1:${port}${path}`).then((r) => r.status, () => 0);
  let answered = 0;
  for (let i = 0; i < 10; i++) answered += (await get('/fast')) === 200 ? 1 : 0;
  const slow = [get('/slow'), get('/slow'), get('/slow')];
  await Bun.sleep(100);
  process.kill(hostPid, 'SIGTERM');
  for (let i = 0; i < 5; i++) {
    await Bun.sleep(200);
    answered += (await get('/fast')) === 200 ? 1 : 0;
  }
  answered += (await Promise.all(slow)).filter((status) => status === 200).length;
  return answered;
}

describe.skipIf(!canUnshare)('a container\'s PID 1 told to stop', () => {
  test('without bun-apm it serves on: every request answered', async () => {
    const plain = await asPid1('plain', false);
    expect(await sigtermMidRun(plain.port, plain.hostPid)).toBe(18);
    expect(plain.unshare.exitCode).toBe(null);
  }, 30_000);

  test('under the preload too, every request counted within a second or two, before any SIGKILL', async () => {
    const app = await asPid1('pid1', true);
    expect(await sigtermMidRun(app.port, app.hostPid)).toBe(18);
    expect(app.unshare.exitCode).toBe(null);
    // Counts go every second now: all 18, and the first probe (`ok 1`), without another signal.
    await waitFor(() => (counted('pid1') === 19 ? true : undefined), 5000);
    expect(counted('pid1')).toBe(19);
    expect(app.stderr()).toContain('SIGTERM to PID 1, which has no handler for it: the process runs on, as without bun-apm, until it is killed (SIGKILL); counts now go every 1 s for a minute');
    // What comes after is counted too, a second later.
    for (let i = 0; i < 4; i++) expect((await fetch(`http://127.0.0.1:${app.port}/fast`)).status).toBe(200);
    await waitFor(() => (counted('pid1') === 23 ? true : undefined), 5000);
    expect(counted('pid1')).toBe(23);
  }, 30_000);
});
