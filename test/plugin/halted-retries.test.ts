// Retries asleep while exports are halted (the app stopped serving) and resumed (the final flush):
// woken on resume whenever they fell asleep, and holding nothing once their sleep ends.
import { afterAll, expect, test } from 'bun:test';
import { heapStats } from 'bun:jsc';
import { haltExports, resumeExports, sendWithRetry } from '../../src/plugin/runtime/send-with-retry.ts';
import { waitFor } from './support/wait-for.ts';

const servers: Array<ReturnType<typeof Bun.serve>> = [];
afterAll(async () => void (await Promise.all(servers.map((server) => server.stop(true)))));

test('a retry asleep in a minute-long backoff since before the halt is sent at once on resume', async () => {
  let posts = 0;
  const server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response(++posts === 1 ? 'busy' : '{}', { status: posts === 1 ? 503 : 200 }) });
  servers.push(server);
  const sent = sendWithRetry(`http://127.0.0.1:${server.port}/v1/traces`, { method: 'POST', body: '{}' }, { initialBackoffMs: 60_000, maxBackoffMs: 60_000, random: () => 0.99 });
  expect(await waitFor(() => posts === 1 || undefined, 2000)).toBe(true);
  // Time to read the 503 and fall asleep: halted first, the retry would be woken by the old code too.
  await Bun.sleep(100);
  haltExports();
  resumeExports();
  const outcome = await Promise.race([sent, Bun.sleep(2000).then(() => 'still asleep')]);
  expect(outcome).toMatchObject({ ok: true, attempts: 2 });
  expect(posts).toBe(2);
});

test('while halted, a retry whose sleep has ended holds nothing (5,000 sends a round had kept ~1.3 MB until the resume)', async () => {
  const heap = () => {
    Bun.gc(true);
    return heapStats().heapSize;
  };
  const round = () => Promise.all(Array.from({ length: 5000 }, () => sendWithRetry('http://127.0.0.1:9/v1/traces', { method: 'POST', body: '{}' }, { initialBackoffMs: 0, maxBackoffMs: 0 })));
  haltExports();
  try {
    await round();
    const before = heap();
    for (let i = 0; i < 4; i++) await round();
    expect(heap() - before).toBeLessThan(2_000_000);
  } finally {
    resumeExports();
  }
});
