// A collector on 127.0.0.1 answering 503 with a Retry-After that is neither seconds nor a date:
// the sender keeps its own backoff instead of retrying at once.
import { afterAll, expect, test } from 'bun:test';
import { sendWithRetry } from '../../../src/plugin/runtime/send-with-retry.ts';

const servers: Array<ReturnType<typeof Bun.serve>> = [];
afterAll(async () => void (await Promise.all(servers.map((server) => server.stop(true)))));

for (const retryAfter of ['-1', '1.5']) {
  test(`Retry-After: ${retryAfter} leaves the backoff as it is (POSTs counted)`, async () => {
    const posts: number[] = [];
    const server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => (posts.push(performance.now()), new Response('busy', { status: 503, headers: { 'retry-after': retryAfter } })) });
    servers.push(server);
    const started = performance.now();
    const sent = sendWithRetry(`http://127.0.0.1:${server.port}/v1/traces`, { method: 'POST', body: '{}' }, { maxAttempts: 3, initialBackoffMs: 100, random: () => 0.99 });
    await Bun.sleep(50);
    expect(posts).toHaveLength(1);
    const outcome = await sent;
    expect([outcome.ok, outcome.attempts, posts.length]).toEqual([false, 3, 3]);
    // Waits of 99 and 198 ms.
    expect(posts[2]! - started).toBeGreaterThanOrEqual(290);
  });
}

test('a Retry-After longer than the backoff cap is honoured: the next POST waits for it', async () => {
  const posts: number[] = [];
  const server = Bun.serve({
    hostname: '127.0.0.1', port: 0,
    fetch: () => (posts.push(performance.now()), posts.length === 1 ? new Response('slow down', { status: 429, headers: { 'retry-after': '2' } }) : new Response('{}')),
  });
  servers.push(server);
  const outcome = await sendWithRetry(`http://127.0.0.1:${server.port}/v1/traces`, { method: 'POST', body: '{}' }, { maxAttempts: 2, initialBackoffMs: 10, maxBackoffMs: 100, random: () => 0.5 });
  expect([outcome.ok, outcome.attempts, posts.length]).toEqual([true, 2, 2]);
  // The collector asked for 2 s; the cap of 100 ms is this sender's own backoff, not a licence to come back sooner.
  expect(posts[1]! - posts[0]!).toBeGreaterThanOrEqual(1990);
});
