// Failed requests counted as the app's error handler answers them, in a real process under the
// preload beside the same app without it: the statuses its client saw are what is counted (review).
import { afterAll, expect, test } from 'bun:test';
import { join } from 'node:path';
import { statusClassOf } from '../../src/core/wire-format.ts';
import { REPO } from './support/app-process.ts';
import { IngestSink } from './support/ingest-sink.ts';

const sink = new IngestSink().start();
afterAll(() => sink.stop());

async function run(preload: boolean): Promise<{ gated: number[]; many: number[]; undefinedAnswer: number; bare: number; primitive: number; code: number }> {
  const child = Bun.spawn([process.execPath, ...(preload ? ['--preload', 'bun-apm/preload'] : []), join('test', 'plugin', 'fixtures', 'error-answers-app.ts')], {
    cwd: REPO,
    env: { ...process.env, BUN_APM_ENDPOINT: sink.url, BUN_APM_INGEST_KEY: sink.ingestKey, BUN_APM_FLUSH_INTERVAL_MS: '600000', BUN_APM_APP: 'error-answers' },
    stdout: 'pipe',
    stderr: 'ignore',
  });
  const out = await new Response(child.stdout).text();
  // Bun exits 1 after an error no handler took, with or without the preload.
  return { ...JSON.parse(out), code: await child.exited };
}

test('a shared rejection, an async handler answering undefined, a server with no error handler, and one error thrown on both: counted as answered', async () => {
  const plain = await run(false);
  const monitored = await run(true);
  expect(monitored).toEqual(plain); // the preload changes no answer, nor the exit code
  expect(plain.many).toEqual([429, 429, 429, 429]);
  expect(plain.gated).toEqual([500, 418]);
  expect(plain.primitive).toBe(400);
  const counted: Record<string, [number, number]> = {};
  for (const batch of sink.batches) {
    for (const cell of batch.rollups) {
      const key = `${cell.method} ${cell.route} ${cell.statusClass}`;
      const [count, errors] = counted[key] ?? [0, 0];
      counted[key] = [count + cell.count, errors + cell.errors];
    }
  }
  // Each threw, so each is an error whatever its status; the bare server's keeps its path, not '/'.
  expect(counted).toEqual({
    'GET /many/:id 4xx': [4, 4],
    [`GET /undefined-answer ${statusClassOf(plain.undefinedAnswer)}`]: [1, 1],
    [`GET /checkout/cart ${statusClassOf(plain.bare)}`]: [1, 1],
    'GET /gated 5xx': [1, 1],
    'GET /teapot 4xx': [1, 1],
    'GET /prim 4xx': [1, 1], // a thrown string too (a review: always a 500)
  });
}, 30_000);
