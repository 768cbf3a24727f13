// A node:http app (Express, createServer) in a directory of its own, run under this checkout's
// preload beside a stand-in edge: the cells it sent once stopped, as `METHOD route class: count`.
// node-http.test.ts and express-routes.test.ts share it.
import { afterAll, expect } from 'bun:test';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Batch } from '../../../src/core/wire-format.ts';
import { AppProcess, freePort, REPO } from './app-process.ts';
import { IngestSink } from './ingest-sink.ts';
import { waitFor } from './wait-for.ts';

const PRELOAD = join(REPO, 'src', 'plugin', 'preload.ts');
const dirs: string[] = [];
const apps: AppProcess[] = [];
const sinks: IngestSink[] = [];
afterAll(async () => {
  await Promise.all(apps.map((app) => app.kill()));
  await Promise.all(sinks.map((sink) => sink.stop()));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Runs `source` (its app answers /ready) under the preload, sends `requests`, stops it with SIGTERM; the cells it sent. The preload says nothing meanwhile. */
export async function countedCells(name: string, source: string, requests: (app: AppProcess) => Promise<void>): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), `bun-apm-${name}-`));
  dirs.push(dir);
  symlinkSync(join(REPO, 'node_modules'), join(dir, 'node_modules'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `${name}-app`, private: true, type: 'module' }));
  writeFileSync(join(dir, 'app.ts'), source);
  const sink = new IngestSink().start();
  sinks.push(sink);
  const port = freePort();
  const child = Bun.spawn([process.execPath, '--preload', PRELOAD, 'app.ts'], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NO_COLOR: '1', PORT: String(port), BUN_APM_ENDPOINT: sink.url, BUN_APM_INGEST_KEY: sink.ingestKey, BUN_APM_APP: name },
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const app = new AppProcess(child, port);
  apps.push(app);
  expect(await waitFor(() => app.fetch('/ready').then(() => true, () => undefined), 15_000)).toBe(true);
  await requests(app);
  child.kill('SIGTERM');
  await app.exited;
  expect(sink.problems).toEqual([]);
  const cells: Record<string, number> = {};
  for (const batch of sink.batches as Batch[]) for (const cell of batch.rollups) cells[`${cell.method} ${cell.route} ${cell.statusClass}`] = (cells[`${cell.method} ${cell.route} ${cell.statusClass}`] ?? 0) + cell.count;
  expect(app.stderr.split('\n').filter((line) => line.startsWith('bun-apm'))).toEqual([]);
  return cells;
}

/** countedCells with its requests as probes (`[METHOD] path [status]`: GET and 200 unless given), each answer's status checked. */
export function countedProbes(name: string, source: string, probes: string[]): Promise<Record<string, number>> {
  return countedCells(name, source, async (app) => {
    for (const probe of probes) {
      const words = probe.split(' ');
      const method = /^[A-Z]+$/.test(words[0]!) ? words.shift()! : 'GET';
      const [path = '/', status = '200'] = words;
      expect(`${method} ${path} ${(await app.fetch(path, { method })).status}`).toBe(`${method} ${path} ${status}`);
    }
  });
}
