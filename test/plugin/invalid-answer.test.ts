// A handler that answers something other than a Response (undefined, a string, an object, also
// from a Promise): Bun logs an error and sends 204, or 200 with its welcome page on a server in
// development mode. The preload had counted each a 500, so a beacon that forgot its `return` showed
// a 100 % 5xx rate while its clients saw 204s. Now: counted under the status sent, and as an error.
// Real processes, the same app with and without the preload.
import { afterAll, expect, test } from 'bun:test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { statusClassOf } from '../../src/core/wire-format.ts';
import { freePort, REPO, listening } from './support/app-process.ts';
import { IngestSink } from './support/ingest-sink.ts';

const sink = new IngestSink().start();
const children: ReturnType<typeof Bun.spawn>[] = [];
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await sink.stop();
});

// Two servers, one in development mode and one not; each answers the same four ways.
const APP = `
const fetch = (request) => {
  const path = new URL(request.url).pathname;
  if (path === '/undefined') return undefined;
  if (path === '/string') return 'hello';
  if (path === '/later') return Bun.sleep(2).then(() => ({ not: 'a response' }));
  return new Response('ok');
};
for (const [port, development] of [[Number(process.env.PORT_DEV), true], [Number(process.env.PORT_PROD), false]]) {
  Bun.serve({ hostname: '127.0.0.1', port, development, fetch });
}
`;

async function start(dir: string, preload: boolean): Promise<{ dev: number; prod: number; child: ReturnType<typeof Bun.spawn> }> {
  const dev = freePort();
  const prod = freePort();
  const child = Bun.spawn([process.execPath, ...(preload ? ['--preload', 'bun-apm/preload'] : []), join(dir, 'app.ts')], {
    cwd: REPO,
    env: { ...process.env, PORT_DEV: String(dev), PORT_PROD: String(prod), BUN_APM_ENDPOINT: sink.url, BUN_APM_INGEST_KEY: sink.ingestKey, BUN_APM_FLUSH_INTERVAL_MS: '600000', BUN_APM_SAMPLE_RATE: '1', BUN_APM_TRACE_SAMPLE_RATE: '0', BUN_APM_APP: 'invalid-answer' },
    stdout: 'ignore',
    stderr: 'ignore',
  });
  children.push(child);
  // A TCP connect, not a request: nothing counted or traced before the probes.
  const ready = await listening([dev, prod]);
  if (!ready) throw new Error('the app did not start');
  return { dev, prod, child };
}

test('anything but a Response is counted under the status Bun sends (204, or 200 in development), as an error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bun-apm-invalid-answer-'));
  writeFileSync(join(dir, 'app.ts'), APP);
  const plain = await start(dir, false);
  const monitored = await start(dir, true);
  const expected: Record<string, { count: number; errors: number }> = {};
  for (const server of ['dev', 'prod'] as const) {
    for (const path of ['/undefined', '/string', '/later', '/ok']) {
      for (let i = 0; i < 3; i++) {
        const a = await fetch(`http://127.0.0.1:${plain[server]}${path}`);
        const b = await fetch(`http://127.0.0.1:${monitored[server]}${path}`);
        expect([b.status, await b.text()]).toEqual([a.status, await a.text()]);
        const key = `${path} ${statusClassOf(a.status)}`;
        const entry = (expected[key] ??= { count: 0, errors: 0 });
        entry.count++;
        if (path !== '/ok') entry.errors++;
      }
    }
  }
  // What Bun 1.4.5 sends, so that a change of Bun's shows here first.
  expect((await fetch(`http://127.0.0.1:${plain.prod}/undefined`)).status).toBe(204);
  expect((await fetch(`http://127.0.0.1:${plain.dev}/undefined`)).status).toBe(200);
  monitored.child.kill('SIGTERM');
  await monitored.child.exited;
  expect(sink.problems).toEqual([]);
  const counted: Record<string, { count: number; errors: number }> = {};
  const statuses = new Map<string, Set<number>>();
  for (const batch of sink.batches) {
    for (const cell of batch.rollups) {
      const entry = (counted[`${cell.route} ${cell.statusClass}`] ??= { count: 0, errors: 0 });
      entry.count += cell.count;
      entry.errors += cell.errors;
    }
    for (const sample of batch.samples) {
      if (sample.route === '/ok') continue;
      expect(sample.error).toBe('InvalidResponse');
      if (!statuses.has(sample.route)) statuses.set(sample.route, new Set());
      statuses.get(sample.route)!.add(sample.statusCode);
    }
  }
  expect(counted).toEqual(expected);
  // Each of the three ways, from both servers: 200 (development) and 204.
  expect(Object.fromEntries([...statuses].map(([route, set]) => [route, [...set].sort()]))).toEqual({ '/undefined': [200, 204], '/string': [200, 204], '/later': [200, 204] });
}, 60_000);
