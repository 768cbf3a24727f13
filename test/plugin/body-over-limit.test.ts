// A chunked body over maxRequestBodySize: Bun answers 413 itself, calling no error handler. It had
// been counted as the app's 500, an error (a review). In a real process under the preload beside the
// same app without it: what the client saw is what is counted.
import { afterAll, expect, test } from 'bun:test';
import { join } from 'node:path';
import { REPO } from './support/app-process.ts';
import { IngestSink } from './support/ingest-sink.ts';

const sink = new IngestSink().start();
afterAll(() => sink.stop());

async function run(preload: boolean, fixture = 'body-limit-app.ts', app = 'body-limit'): Promise<Record<string, number>> {
  const child = Bun.spawn([process.execPath, ...(preload ? ['--preload', 'bun-apm/preload'] : []), join('test', 'plugin', 'fixtures', fixture)], {
    cwd: REPO,
    env: { ...process.env, BUN_APM_ENDPOINT: sink.url, BUN_APM_INGEST_KEY: sink.ingestKey, BUN_APM_FLUSH_INTERVAL_MS: '600000', BUN_APM_APP: app, BUN_APM_SAMPLE_RATE: '1' },
    stdout: 'pipe',
    stderr: 'ignore',
  });
  const out = await new Response(child.stdout).text();
  await child.exited;
  return JSON.parse(out);
}

test('counted as the 413 Bun sent, not as an error, with an error handler or without', async () => {
  const plain = await run(false);
  expect(plain).toEqual({ withHandler: 413, bare: 413, small: 200, wrapped: 413 });
  expect(await run(true)).toEqual(plain);
  const counted: Record<string, [number, number]> = {};
  for (const cell of sink.batches.filter((batch) => batch.identity.app === 'body-limit').flatMap((batch) => batch.rollups)) {
    const key = `${cell.method} ${cell.route} ${cell.statusClass}`;
    const [count, errors] = counted[key] ?? [0, 0];
    counted[key] = [count + cell.count, errors + cell.errors];
  }
  expect(counted).toEqual({ 'POST /upload 4xx': [2, 0], 'POST /upload 2xx': [1, 0], 'POST /wrapped 4xx': [1, 0] });
  expect(sink.batches.filter((batch) => batch.identity.app === 'body-limit').flatMap((batch) => batch.samples).map((sample) => sample.statusCode).sort()).toEqual([200, 413, 413, 413]);
}, 30_000);

test("Hono, which catches the refusal and answers 500 from its onError: counted as Bun's 413, an app's own failure still as its 500 (a review: a scanner's uploads raised the error rate)", async () => {
  const plain = await run(false, 'body-limit-hono.ts', 'body-limit-hono');
  expect(plain).toEqual({ over: 413, small: 200, broken: 500 });
  expect(await run(true, 'body-limit-hono.ts', 'body-limit-hono')).toEqual(plain);
  const batches = sink.batches.filter((batch) => batch.identity.app === 'body-limit-hono');
  const counted: Record<string, [number, number]> = {};
  for (const cell of batches.flatMap((batch) => batch.rollups)) {
    const key = `${cell.method} ${cell.route} ${cell.statusClass}`;
    const [count, errors] = counted[key] ?? [0, 0];
    counted[key] = [count + cell.count, errors + cell.errors];
  }
  expect(counted).toEqual({ 'POST /upload 4xx': [1, 0], 'POST /upload 2xx': [1, 0], 'POST /broken 5xx': [1, 1] });
  expect(batches.flatMap((batch) => batch.samples).map((sample) => sample.statusCode).sort()).toEqual([200, 413, 500]);
}, 30_000);
