// A chunked body over maxRequestBodySize: Bun answers 413 itself, calling no error handler. It had
// been counted as the app's 500, an error (a review). In a real process under the preload beside the
// same app without it: what the client saw is what is counted.
import { afterAll, expect, test } from 'bun:test';
import { join } from 'node:path';
import { REPO } from './support/app-process.ts';
import { IngestSink } from './support/ingest-sink.ts';

const sink = new IngestSink().start();
afterAll(() => sink.stop());

async function run(preload: boolean): Promise<Record<string, number>> {
  const child = Bun.spawn([process.execPath, ...(preload ? ['--preload', 'bun-apm/preload'] : []), join('test', 'plugin', 'fixtures', 'body-limit-app.ts')], {
    cwd: REPO,
    env: { ...process.env, BUN_APM_ENDPOINT: sink.url, BUN_APM_INGEST_KEY: sink.ingestKey, BUN_APM_FLUSH_INTERVAL_MS: '600000', BUN_APM_APP: 'body-limit', BUN_APM_SAMPLE_RATE: '1' },
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
  for (const cell of sink.batches.flatMap((batch) => batch.rollups)) {
    const key = `${cell.method} ${cell.route} ${cell.statusClass}`;
    const [count, errors] = counted[key] ?? [0, 0];
    counted[key] = [count + cell.count, errors + cell.errors];
  }
  expect(counted).toEqual({ 'POST /upload 4xx': [2, 0], 'POST /upload 2xx': [1, 0], 'POST /wrapped 4xx': [1, 0] });
  expect(sink.batches.flatMap((batch) => batch.samples).map((sample) => sample.statusCode).sort()).toEqual([200, 413, 413, 413]);
}, 30_000);
