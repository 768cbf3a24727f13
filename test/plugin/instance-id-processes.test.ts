// The instance id of each process of one app on one host (review D6): node:cluster workers and
// processes sharing a port with reusePort are instances of their own, each worker's id the same when
// the app restarts; a single process keeps `host:app` across runs; BUN_APM_INSTANCE is used as is.
// Real `bun --preload` processes against a stand-in edge; every request is counted exactly once.
import { afterAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { launcherSlot } from '../../src/plugin/runtime/launcher-slot.ts';
import { processInstance, servingInstance } from '../../src/plugin/runtime/identity.ts';
import { freePort, REPO } from './support/app-process.ts';
import { IngestSink } from './support/ingest-sink.ts';
import { waitFor } from './support/wait-for.ts';

const PRELOAD = join(REPO, 'src/plugin/preload.ts');
const dir = mkdtempSync(join(tmpdir(), 'bun-apm-instance-id-'));

/** Two node:cluster workers serving PORT (Bun shares it); SIGTERM to the primary ends both, each flushing. */
const CLUSTER_APP = `import cluster from 'node:cluster';
if (cluster.isPrimary) {
  for (let i = 0; i < 2; i++) cluster.fork();
  let online = 0;
  cluster.on('message', (_worker, message) => { if (message === 'ready' && ++online === 2) console.log('ready'); });
  process.on('SIGTERM', () => {
    const workers = Object.values(cluster.workers ?? {});
    let left = workers.length;
    for (const worker of workers) { worker.on('exit', () => { if (--left === 0) process.exit(0); }); worker.process.kill('SIGTERM'); }
  });
} else {
  Bun.serve({ hostname: '127.0.0.1', port: Number(process.env.PORT), fetch: () => new Response('ok') });
  process.send?.('ready'); // Bun's cluster emits no 'listening' for Bun.serve
}
`;
/** One server on PORT; REUSE_PORT=1 shares it with other processes. */
const SERVER_APP = `Bun.serve({ hostname: '127.0.0.1', port: Number(process.env.PORT), reusePort: process.env.REUSE_PORT === '1', fetch: () => new Response('ok') });
console.log('ready');
`;
writeFileSync(join(dir, 'cluster-app.ts'), CLUSTER_APP);
writeFileSync(join(dir, 'server-app.ts'), SERVER_APP);

const sink = new IngestSink().start();
const children: ReturnType<typeof Bun.spawn>[] = [];
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await sink.stop();
});

/** `bun --preload src/plugin/preload.ts <script>` in the temporary directory, once it says `ready`. */
async function start(script: string, app: string, port: number, env: Record<string, string> = {}): Promise<ReturnType<typeof Bun.spawn>> {
  const base: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined && !key.startsWith('BUN_APM_') && key !== 'NODE_APP_INSTANCE' && key !== 'NODE_UNIQUE_ID') base[key] = value;
  const child = Bun.spawn([process.execPath, '--preload', PRELOAD, join(dir, script)], {
    cwd: dir,
    env: { ...base, PORT: String(port), BUN_APM_ENDPOINT: sink.url, BUN_APM_INGEST_KEY: sink.ingestKey, BUN_APM_APP: app, ...env },
    stdout: 'pipe',
    stderr: 'inherit',
  });
  children.push(child);
  const reader = (child.stdout as ReadableStream<Uint8Array>).getReader();
  let out = '';
  const ready = await Promise.race([
    (async () => {
      while (!out.includes('ready')) {
        const { done, value } = await reader.read();
        if (done) return false;
        out += new TextDecoder().decode(value);
      }
      return true;
    })(),
    Bun.sleep(15_000).then(() => false),
  ]);
  if (!ready) throw new Error(`${script} did not start: ${out}`);
  return child;
}

/** `count` requests, each on a connection of its own, so the kernel spreads them over the processes sharing the port. */
async function hit(port: number, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const response = await fetch(`http://127.0.0.1:${port}/`, { headers: { connection: 'close' } });
    expect(await response.text()).toBe('ok');
  }
}

/** SIGTERM (the final flush) and the exit of every child. */
async function stop(...processes: ReturnType<typeof Bun.spawn>[]): Promise<void> {
  for (const child of processes) child.kill('SIGTERM');
  await Promise.all(processes.map((child) => child.exited));
}

function batchesOf(app: string, before: ReadonlySet<string> = new Set()) {
  return [...sink.stored].filter(([id, batch]) => batch.identity.app === app && !before.has(id)).map(([, batch]) => batch);
}

/** The instances that reported requests of `app` (in batches not in `before`), and the requests counted. */
function reported(app: string, before?: ReadonlySet<string>): { instances: string[]; count: number } {
  const batches = batchesOf(app, before);
  const instances = new Set(batches.filter((b) => b.rollups.some((cell) => cell.count > 0)).map((b) => b.identity.instance));
  let count = 0;
  for (const batch of batches) for (const cell of batch.rollups) count += cell.count;
  return { instances: [...instances].sort(), count };
}

/** Waits until the edge has `expected` requests of `app`, then a little longer for anything extra. */
async function settled(app: string, expected: number, before?: ReadonlySet<string>): Promise<{ instances: string[]; count: number }> {
  await waitFor(() => reported(app, before).count >= expected || undefined, 10_000);
  await Bun.sleep(300);
  return reported(app, before);
}

describe('instance ids of the processes of one app on one host', () => {
  test('node:cluster workers are two instances, each with the same id when the app restarts; totals exact', async () => {
    const port = freePort();
    const app = 'cluster';
    const runs: string[][] = [];
    for (let run = 0; run < 2; run++) {
      const before = new Set(sink.stored.keys());
      const child = await start('cluster-app.ts', app, port);
      await hit(port, 40);
      await stop(child);
      const { instances, count } = await settled(app, 40, before);
      expect(count).toBe(40);
      runs.push(instances);
    }
    expect(runs[0]).toEqual([`${hostname()}:${app}:worker-1`, `${hostname()}:${app}:worker-2`]);
    expect(runs[1]).toEqual(runs[0]);
  }, 60_000);

  // Needs the preload to adopt servingInstance() at the first Bun.serve (start-monitoring.ts,
  // instrument-serve.ts, edge-sender.ts): until then both processes report as `host:app`.
  test('two processes sharing a port with reusePort are two instances; totals exact', async () => {
    const port = freePort();
    const app = 'reuse-port';
    const first = await start('server-app.ts', app, port, { REUSE_PORT: '1' });
    const second = await start('server-app.ts', app, port, { REUSE_PORT: '1' });
    await hit(port, 40);
    await stop(first, second);
    const { instances, count } = await settled(app, 40);
    expect(count).toBe(40);
    expect(instances.sort()).toEqual([`${hostname()}:${app}:pid-${first.pid}`, `${hostname()}:${app}:pid-${second.pid}`].sort());
  }, 60_000);

  test('a single process keeps `host:app` across two runs', async () => {
    const app = 'single';
    const runs: string[][] = [];
    for (let run = 0; run < 2; run++) {
      const before = new Set(sink.stored.keys());
      const port = freePort();
      const child = await start('server-app.ts', app, port);
      await hit(port, 5);
      await stop(child);
      const { instances, count } = await settled(app, 5, before);
      expect(count).toBe(5);
      runs.push(instances);
    }
    expect(runs).toEqual([[`${hostname()}:${app}`], [`${hostname()}:${app}`]]);
    expect(new Set(batchesOf(app).map((b) => b.identity.instance))).toEqual(new Set([`${hostname()}:${app}`]));
  }, 60_000);

  test('BUN_APM_INSTANCE is used as is, in a single process and in cluster workers', async () => {
    const port = freePort();
    const child = await start('server-app.ts', 'labelled', port, { BUN_APM_INSTANCE: 'blue' });
    await hit(port, 5);
    await stop(child);
    expect(await settled('labelled', 5)).toEqual({ instances: [`${hostname()}:labelled:blue`], count: 5 });
    // Explicit wins over the worker's id: the operator chose one instance for all of them.
    const workers = await start('cluster-app.ts', 'labelled-cluster', port, { BUN_APM_INSTANCE: 'green' });
    await hit(port, 20);
    await stop(workers);
    expect(await settled('labelled-cluster', 20)).toEqual({ instances: [`${hostname()}:labelled-cluster:green`], count: 20 });
  }, 60_000);
});

describe('the instance rule', () => {
  const host = processInstance('x', {}).slice(0, -':x'.length);

  test('a launcher slot: pm2 before node:cluster (pm2 keeps its numbers across restarts); anything else is none', () => {
    expect(launcherSlot({ NODE_UNIQUE_ID: '3' })).toBe('worker-3');
    expect(launcherSlot({ NODE_APP_INSTANCE: '0', NODE_UNIQUE_ID: '7' })).toBe('pm2-0');
    expect(launcherSlot({ NODE_APP_INSTANCE: 'x', NODE_UNIQUE_ID: ' 2 ' })).toBe('worker-2');
    expect(launcherSlot({ NODE_UNIQUE_ID: '' })).toBe('');
    expect(launcherSlot({})).toBe('');
  });

  test('the id: BUN_APM_INSTANCE, else the slot, else host:app; the slot survives a long app name', () => {
    expect(processInstance('shop', {})).toBe(`${host}:shop`);
    expect(processInstance('shop', { NODE_UNIQUE_ID: '2' })).toBe(`${host}:shop:worker-2`);
    expect(processInstance('shop', { NODE_APP_INSTANCE: '1' })).toBe(`${host}:shop:pm2-1`);
    expect(processInstance('shop', { BUN_APM_INSTANCE: 'blue', NODE_UNIQUE_ID: '2' })).toBe(`${host}:shop:blue`);
    const long = processInstance('a'.repeat(128), { NODE_UNIQUE_ID: '12' });
    expect(long.length).toBe(128);
    expect(long.endsWith(':worker-12')).toBe(true);
  });

  test('serving with reusePort appends the pid, unless the process is already told apart', () => {
    expect(servingInstance('shop', { port: 1 }, {})).toBe(`${host}:shop`);
    expect(servingInstance('shop', { reusePort: true }, {})).toBe(`${host}:shop:pid-${process.pid}`);
    expect(servingInstance('shop', { reusePort: true }, { NODE_UNIQUE_ID: '1' })).toBe(`${host}:shop:worker-1`);
    expect(servingInstance('shop', { reusePort: true }, { BUN_APM_INSTANCE: 'blue' })).toBe(`${host}:shop:blue`);
    expect(servingInstance('shop', { get reusePort(): boolean { throw new Error('no'); } }, {})).toBe(`${host}:shop`);
  });

  test('an instance label with an emoji where the cut falls keeps the pair whole: every batch arrives (a half pair lost them all)', async () => {
    const port = freePort();
    const label = `${'a'.repeat(63)}\u{1F600}`;
    const child = await start('server-app.ts', 'emoji-label', port, { BUN_APM_INSTANCE: label });
    await hit(port, 7);
    await stop(child);
    expect(await settled('emoji-label', 7)).toEqual({ instances: [`${hostname()}:emoji-label:${'a'.repeat(63)}`], count: 7 });
    expect(sink.problems).toEqual([]);
  }, 60_000);
});

