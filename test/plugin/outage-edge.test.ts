// A long outage end to end: a real app under the preload, a real edge Worker in workerd, and between
// them a proxy answering 503 for the length of the outage. Simulated time: the app runs on a clock
// that starts OUTAGE_MINUTES (default 10) in the past and catches up with the real one in
// OUTAGE_REAL_SECONDS (default 8), so the app records and cuts as many distinct minutes as a real
// outage of that length would, in seconds. OUTAGE_MINUTES=0 runs in real time (a real outage of
// OUTAGE_REAL_SECONDS); OUTAGE_RPS sets the load (default 2000/s). Afterwards the edge must count
// every request the test sent, or say exactly how many it did not receive (API and dashboard).
import { afterAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import type { LocalEdge } from '../../scripts/local-edge.ts';
import { exactCount } from '../../src/views/not-received-panel.tsx';
import { apiOk, KEYS, startEdge } from '../edge/support/edge.ts';
import { startApp, type AppProcess } from './support/app-process.ts';
import { FAST_RETRY, writeConfig } from './support/config-file.ts';
import { OutageProxy } from './support/outage-proxy.ts';
import { waitFor } from './support/wait-for.ts';

const MINUTES = Number(process.env.OUTAGE_MINUTES ?? 10);
const REAL_SECONDS = Number(process.env.OUTAGE_REAL_SECONDS ?? 8);
const DASHBOARD_KEY = 'dash-key-0123456789abcdef';
const FAST_CLOCK = join(import.meta.dir, 'fixtures', 'fast-clock.ts');

const started: AppProcess[] = [];
const edges: LocalEdge[] = [];
const proxies: OutageProxy[] = [];
afterAll(async () => {
  await Promise.all(started.map((app) => app.kill()));
  await Promise.all(proxies.map((proxy) => proxy.stop()));
  await Promise.all(edges.map((edge) => edge.dispose()));
});

/** About the rate (15,000 requests in 25 s), and a bound on the work asked of a shared machine. */
const REQUESTS_PER_SECOND = Number(process.env.OUTAGE_RPS ?? 2_000);

/** Sends requests over `paths`, 4 at a time and paced, until `seconds` have passed; returns how many got an answer. */
async function load(baseUrl: string, paths: string[], seconds: number): Promise<number> {
  const start = Date.now();
  const until = start + seconds * 1000;
  let sent = 0;
  let next = 0;
  const worker = async () => {
    while (Date.now() < until) {
      if (sent >= ((Date.now() - start) / 1000) * REQUESTS_PER_SECOND) {
        await Bun.sleep(5);
        continue;
      }
      const path = paths[next++ % paths.length]!;
      const response = await fetch(`${baseUrl}${path}`, { headers: { 'user-agent': 'outage-test/1.0 (a user agent long enough to make detail records weigh what real ones do)' } });
      await response.arrayBuffer();
      sent++;
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  return sent;
}

interface EdgeView {
  counted: number;
  notReceived: number;
  instances: any[];
}

async function edgeView(edge: LocalEdge): Promise<EdgeView> {
  const now = Date.now();
  // Within the minute rollups' 48 h: widened windows start at most a day before the data.
  const summary = await apiOk(edge, `/api/v1/apps/shop/summary?from=${now - 47 * 3_600_000}&to=${now + 60_000}`);
  const { instances, requestsNotReceived } = await apiOk(edge, '/api/v1/apps/shop/instances');
  return { counted: summary.requests, notReceived: requestsNotReceived, instances };
}

async function dashboardHtml(edge: LocalEdge): Promise<string> {
  const response = await fetch(new URL('/performance?app=shop&range=24h', edge.url), { headers: { 'x-api-key': DASHBOARD_KEY } });
  expect(response.status).toBe(200);
  return response.text();
}

async function run(maxPendingBytes: number, paths: string[]): Promise<{ sent: number; view: EdgeView; html: string; app: AppProcess; proxy: OutageProxy }> {
  const edge = await startEdge({ bindings: { DASHBOARD_API_KEY: DASHBOARD_KEY } });
  edges.push(edge);
  const proxy = new OutageProxy(edge.url);
  proxies.push(proxy);
  const config = writeConfig(`export default { maxPendingBytes: ${maxPendingBytes}, profiling: { interval: 100 }, ${FAST_RETRY} };`);
  const app = await startApp('routes-app.ts', {
    preloads: [FAST_CLOCK],
    env: {
      BUN_APM_ENDPOINT: proxy.url,
      BUN_APM_INGEST_KEY: KEYS.shopIngest,
      BUN_APM_APP: 'shop',
      BUN_APM_FLUSH_INTERVAL_MS: '100',
      BUN_APM_SAMPLE_RATE: '0.5',
      BUN_APM_TRACE_SAMPLE_RATE: '0.1',
      BUN_APM_CONFIG: config,
      FAST_CLOCK_BEHIND_MS: String(MINUTES * 60_000),
      FAST_CLOCK_RATE: String(1 + (MINUTES * 60) / REAL_SECONDS),
    },
  });
  started.push(app);
  const sent = await load(app.url, paths, REAL_SECONDS);
  expect(proxy.refused).toBeGreaterThan(0);
  expect(app.stderr).toContain('the edge cannot take data now (HTTP 503');
  proxy.down = false;
  // Everything the app held arrives, or is reported lost: counted + not received reaches what was sent.
  const settled = await waitFor(async () => {
    const view = await edgeView(edge);
    return view.counted + view.notReceived >= sent ? view : undefined;
  }, 30_000, 100);
  expect(settled).toBeDefined();
  // The final flush on SIGTERM must add nothing twice.
  app.process.kill('SIGTERM');
  await app.exited;
  const view = await edgeView(edge);
  return { sent, view, html: await dashboardHtml(edge), app, proxy };
}

describe(`an outage of ${MINUTES} simulated minutes (${REAL_SECONDS} s real) between a real app and a real edge`, () => {
  test('30 KB bound: detail dropped first, every request counted at the edge, nothing reported missing', async () => {
    const paths = ['/users/1', '/users', '/health', '/boom', '/orders/77', '/nope', '/users/999'];
    const { sent, view, html } = await run(30_000, paths);
    expect(view.counted).toBe(sent);
    expect(view.notReceived).toBe(0);
    const [instance] = view.instances;
    expect(instance.dropped.requests).toBe(0);
    expect(instance.dropped.samples).toBeGreaterThan(0); // detail went, counts stayed
    expect(html).not.toContain('not received from instance');
    console.log(`30 KB: ${sent} requests sent, ${view.counted} counted at the edge; detail dropped: ${JSON.stringify(instance.dropped)}`);
  }, (REAL_SECONDS + 90) * 1000);

  test('a bound merged counts cannot fit: the edge says exactly how many requests it did not receive, on the API and the dashboard', async () => {
    // 60 routes the normaliser keeps apart (no ids in them), so that cells stay many however merged.
    const letters = 'abcdefghijklmnopqrstuvwxyz';
    const paths = Array.from({ length: 60 }, (_, i) => `/aisle-${letters[Math.floor(i / 26)]}${letters[i % 26]}/shelf`);
    const { sent, view, html } = await run(2_048, paths);
    expect(view.notReceived).toBeGreaterThan(0);
    expect(view.counted + view.notReceived).toBe(sent);
    const [instance] = view.instances;
    expect(instance.dropped.requests).toBe(view.notReceived);
    expect(instance.requestsLostAt).toBeGreaterThan(0);
    expect(html).toContain(`${exactCount(view.notReceived)} requests not received from instance ${Bun.escapeHTML(instance.instance)}`);
    console.log(`2 KB: ${sent} requests sent, ${view.counted} counted, ${view.notReceived} reported not received; dropped: ${JSON.stringify(instance.dropped)}`);
  }, (REAL_SECONDS + 90) * 1000);
});
