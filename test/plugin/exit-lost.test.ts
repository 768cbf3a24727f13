// Counts lost at exit are said on stderr, not only in debug: with the edge not answering (nothing
// listens on its port), SIGTERM's final flush cannot deliver the requests served, and an operator
// reading the app's log had seen nothing of it.
import { afterAll, expect, test } from 'bun:test';
import { freePort, startApp, type AppProcess } from './support/app-process.ts';
import { waitFor } from './support/wait-for.ts';

let app: AppProcess | undefined;
afterAll(async () => {
  await app?.kill();
});

test('requests not delivered at exit are named on stderr with their count', async () => {
  app = await startApp('routes-app.ts', { env: { BUN_APM_ENDPOINT: `http://127.0.0.1:${freePort()}`, BUN_APM_INGEST_KEY: 'k', BUN_APM_FLUSH_INTERVAL_MS: '600000' } });
  const served = 37;
  for (let i = 0; i < served; i++) expect((await app.fetch('/health')).status).toBe(200);
  app.process.kill('SIGTERM');
  await app.exited;
  const line = await waitFor(() => /at exit, not sent to the edge[^\n]*/.exec(app!.stderr)?.[0], 5_000);
  expect(line).toBeDefined();
  expect(line).toContain(`${served} requests`);
  expect(line).toContain('not reported');
  // One route, one status: one rollup cell (two when the requests straddle a minute), said as one (was "1 rollups").
  expect(line).toMatch(new RegExp(`: (1 rollup|2 rollups), ${served} requests,`));
  expect(line).not.toMatch(/\b1 rollups\b/);
}, 30_000);

test('requests sent at exit to an edge that never answers are named as not confirmed', async () => {
  const hanging = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Promise<Response>(() => {}) });
  try {
    const quiet = await startApp('routes-app.ts', { env: { BUN_APM_ENDPOINT: `http://127.0.0.1:${hanging.port}`, BUN_APM_INGEST_KEY: 'k', BUN_APM_FLUSH_INTERVAL_MS: '600000' } });
    const served = 23;
    for (let i = 0; i < served; i++) expect((await quiet.fetch('/health')).status).toBe(200);
    const from = performance.now();
    quiet.process.kill('SIGTERM');
    await quiet.exited;
    // The answers were awaited for the whole budget (2 s), not given up on early.
    expect(performance.now() - from).toBeGreaterThan(1_500);
    // stderr is read as a stream: its last lines may come in just after the exit.
    const line = await waitFor(() => /at exit, sent but not confirmed by the edge[^\n]*/.exec(quiet.stderr)?.[0], 5_000);
    expect(line).toContain(`${served} requests`);
  } finally {
    hanging.stop(true);
  }
}, 30_000);

test('requests an edge refuses at exit are named with its status, not as unanswered', async () => {
  for (const status of [401, 404, 500, 301]) {
    const refusing = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response('{"error":"nope"}', { status, headers: status === 301 ? { location: '/elsewhere' } : {} }) });
    try {
      const refused = await startApp('routes-app.ts', { env: { BUN_APM_ENDPOINT: `http://127.0.0.1:${refusing.port}`, BUN_APM_INGEST_KEY: 'k', BUN_APM_FLUSH_INTERVAL_MS: '600000' } });
      const served = 11;
      for (let i = 0; i < served; i++) expect((await refused.fetch('/health')).status).toBe(200);
      refused.process.kill('SIGTERM');
      await refused.exited;
      const line = await waitFor(() => /at exit, not sent to the edge[^\n]*/.exec(refused.stderr)?.[0], 5_000);
      // Was "(not reported: the edge did not answer)" though it had answered every batch.
      expect(line).toContain(`${served} requests`);
      expect(line).toContain(`(not reported: the edge refused them: HTTP ${status})`);
    } finally {
      refusing.stop(true);
    }
  }
}, 60_000);

test("a 2xx answer that is not the edge's (a proxy's error page, an app's catch-all) is not taken for delivery: said while running and at exit", async () => {
  const posts: string[] = [];
  const proxy = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: (request) => (posts.push(new URL(request.url).pathname), new Response('<html>proxy error page</html>', { headers: { 'content-type': 'text/html' } })) });
  try {
    const endpoint = `http://127.0.0.1:${proxy.port}`;
    const running = await startApp('routes-app.ts', { env: { BUN_APM_ENDPOINT: endpoint, BUN_APM_INGEST_KEY: 'k', BUN_APM_FLUSH_INTERVAL_MS: '300' } });
    for (let i = 0; i < 5; i++) expect((await running.fetch('/health')).status).toBe(200);
    // Was: every batch "delivered", nothing said, everything lost.
    const said = await waitFor(() => /a batch was not delivered[^\n]*/.exec(running.stderr)?.[0], 10_000);
    expect(said).toBe(`a batch was not delivered: HTTP 200 from ${endpoint}/v1/ingest was not a bun-apm edge's answer (no JSON object), so nothing is known to have arrived: is BUN_APM_ENDPOINT the edge's URL? (\`bunx bun-apm doctor\` checks it) (not retried; later refusals with this status are not reported)`);
    const served = 13;
    for (let i = 0; i < served; i++) expect((await running.fetch('/health')).status).toBe(200);
    running.process.kill('SIGTERM');
    await running.exited;
    const line = await waitFor(() => /at exit, not sent to the edge[^\n]*/.exec(running.stderr)?.[0], 5_000);
    // Those served since, and the first five unless the refused batch held them (it may have held only a profile).
    const lost = Number(/ (\d+) requests/.exec(line ?? '')?.[1]);
    expect(lost).toBeGreaterThanOrEqual(served);
    expect(lost).toBeLessThanOrEqual(served + 5);
    expect(line).toContain("(not reported: HTTP 200 answers that were not a bun-apm edge's (is BUN_APM_ENDPOINT the edge's URL?))");
    expect(posts.length).toBeGreaterThan(1);
    expect(new Set(posts)).toEqual(new Set(['/v1/ingest']));
  } finally {
    proxy.stop(true);
  }
}, 30_000);
