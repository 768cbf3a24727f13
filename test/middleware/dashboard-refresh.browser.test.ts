// The browser's refresh timer whatever refresh the page names (found by a review): a delay past
// setInterval's 2^31 - 1 ms runs the timer at once, and one tab sent 278 requests in 3 s. The
// options refuse such a delay; dashboard.js keeps its own timer to 0.5 s..1 day all the same.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from 'bun:test';
import type { Browser } from 'playwright-core';
import { compose, performanceDashboard, performanceMonitor } from '../../src/middleware/index.ts';
import { launchBrowser, watchForTrouble } from '../support/browser.ts';

setDefaultTimeout(60_000);

const monitor = performanceMonitor({ profiling: { enabled: false } });
const dashboard = performanceDashboard({ path: '/performance', refreshInterval: 1000, monitor, authentication: { enabled: false } });
let server: ReturnType<typeof Bun.serve>;
let browser: Browser;

beforeAll(async () => {
  const handler = compose([dashboard, monitor], () => new Response('ok'));
  server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: (req) => handler(req) });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  server?.stop(true);
  await monitor.close();
});

test.each(['1e300', '2147483648'])('a page naming a refresh of %s ms refreshes once a day, not in a loop', async (refreshMs) => {
  const page = await browser.newPage();
  const { problems } = watchForTrouble(page);
  // The page as a server that had not checked the option would send it.
  await page.route('**/performance', async (route) => {
    const response = await route.fetch();
    await route.fulfill({ response, body: (await response.text()).replace(/data-refresh-ms="[^"]*"/, `data-refresh-ms="${refreshMs}"`) });
  });
  let requests = 0;
  page.on('request', (request) => void (new URL(request.url()).pathname.startsWith('/performance/') && requests++));
  await page.goto(`http://127.0.0.1:${server.port}/performance`);
  await page.waitForLoadState('networkidle');
  const settled = requests;
  await Bun.sleep(2000);
  expect(requests - settled).toBe(0);
  expect(await page.textContent('[data-live-state]')).toBe('refreshing every 86400 s');
  expect(problems).toEqual([]);
  await page.close();
});
