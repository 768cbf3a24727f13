// A handler that fails because its client went away (an upload cut off, a proxied fetch following
// req.signal): Bun sends nothing and calls no error handler. It had been counted a 500 and an error
// (a review: cut uploads and aborted long polls raised the error rate); it is a 499, as a node:http
// request whose client left. A bad body from a client that stays is still the app's error. So is a
// handler that answers normally after its client left (a review: counted 2xx, though nothing went out).
import { afterAll, expect, test } from 'bun:test';
import { connect } from 'node:net';
import { startApp, type AppProcess } from './support/app-process.ts';
import { IngestSink } from './support/ingest-sink.ts';
import { waitFor } from './support/wait-for.ts';

const sink = new IngestSink().start();
const apps: AppProcess[] = [];
afterAll(async () => {
  await Promise.all(apps.map((app) => app.kill()));
  await sink.stop();
});

/** An upload that declares 100,000 bytes, sends 1,000 and closes its socket. */
function cutUpload(port: number): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(`POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n${'x'.repeat(1_000)}`);
      setTimeout(() => socket.destroy(), 100);
    });
    socket.on('error', () => {});
    socket.on('close', () => resolve());
  });
}

/** A request the client gives up on after 100 ms. */
async function abandoned(port: number, path: string): Promise<void> {
  await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(100) }).catch(() => {});
}

test('a client gone before the answer: 499, no error; a bad body from a client that stays: the error handler\'s 400, or 500', async () => {
  const app = await startApp('../test/plugin/fixtures/client-gone-app.ts', {
    env: { BUN_APM_ENDPOINT: sink.url, BUN_APM_INGEST_KEY: sink.ingestKey, BUN_APM_FLUSH_INTERVAL_MS: '600000', BUN_APM_SAMPLE_RATE: '1' },
  });
  apps.push(app);
  const bare = Number(await waitFor(() => /bare (\d+)/.exec(app.stdout)?.[1], 5_000));
  for (const port of [app.port, bare]) {
    for (let i = 0; i < 3; i++) await cutUpload(port);
    for (let i = 0; i < 2; i++) await abandoned(port, '/proxy');
    for (let i = 0; i < 3; i++) await abandoned(port, '/wait');
    expect(await (await fetch(`http://127.0.0.1:${port}/wait`)).text()).toBe('done');
  }
  const badJson = await Promise.all([app.port, bare].map((port) => fetch(`http://127.0.0.1:${port}/upload`, { method: 'POST', body: '{bad' }).then((response) => response.status)));
  expect(badJson).toEqual([400, 500]);
  // Every request has ended in the app (the cut ones when Bun saw their sockets close).
  await Bun.sleep(600);
  app.process.kill('SIGTERM');
  await app.exited;
  const cells: Record<string, { count: number; errors: number }> = {};
  for (const batch of sink.batches) {
    for (const cell of batch.rollups) {
      const key = `${cell.method} ${cell.route} ${cell.statusClass}`;
      const sum = (cells[key] ??= { count: 0, errors: 0 });
      sum.count += cell.count;
      sum.errors += cell.errors;
    }
  }
  // Was: 'POST /upload 5xx' 6 errors 6 and 'GET /proxy 5xx' 4 errors 4, besides the bad bodies.
  expect(cells).toEqual({
    'POST /upload 4xx': { count: 3 + 3 + 1, errors: 1 },
    'GET /proxy 4xx': { count: 4, errors: 0 },
    // Was 'GET /wait 2xx': 8.
    'GET /wait 4xx': { count: 6, errors: 0 },
    'GET /wait 2xx': { count: 2, errors: 0 },
    'POST /upload 5xx': { count: 1, errors: 1 },
  });
  const statuses = sink.batches.flatMap((batch) => batch.samples).map((sample) => sample.statusCode).sort();
  expect(statuses.filter((status) => status === 499)).toHaveLength(16);
}, 30_000);
