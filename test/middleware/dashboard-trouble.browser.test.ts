// What the dashboard says when a request fails, now that an error never replaces a panel (found by
// a review: a Resolve refused 403 for a stale token did nothing visible, and a page whose server had
// gone kept saying Live over old figures). In-process, on a real Bun app, in Chromium.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from 'bun:test';
import type { Browser } from 'playwright-core';
import { compose, performanceDashboard, performanceMonitor } from '../../src/middleware/index.ts';
import { launchBrowser, watchForTrouble } from '../support/browser.ts';

setDefaultTimeout(60_000);

const KEY = 'trouble-key-0123456789';
const monitor = performanceMonitor({ sampleRate: 1 });
const dashboard = performanceDashboard({ path: '/performance', app: 'shop', refreshInterval: 500, monitor, authentication: { enabled: true, apiKey: KEY } });
let server: ReturnType<typeof Bun.serve>;
let base: string;
let browser: Browser;

beforeAll(async () => {
  const handler = compose([dashboard, monitor], () => new Response('ok'));
  server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: (req) => handler(req) });
  base = `http://127.0.0.1:${server.port}`;
  for (let i = 0; i < 5; i++) await fetch(`${base}/x`);
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  server?.stop(true);
  await monitor.close();
});

test('a refused action says so with the server\'s words; it stays until an action succeeds', async () => {
  const alertId = dashboard.addAlert('warning', 'Slow checkout');
  const context = await browser.newContext({ extraHTTPHeaders: { 'x-api-key': KEY } });
  const page = await context.newPage();
  const problems = watchForTrouble(page);
  await page.goto(`${base}/performance?app=shop`);
  const before = await page.locator('#alerts').innerHTML();
  // As after a sign-in in another tab: this page's token is no longer the session's.
  await page.locator(`li.alert[data-alert-id="${alertId}"] input[name="csrf"]`).evaluate((input) => ((input as HTMLInputElement).value = 'stale'));
  await Promise.all([page.waitForResponse((r) => r.url().includes('/alerts/resolve') && r.status() === 403), page.click(`li.alert[data-alert-id="${alertId}"] button[type="submit"]`)]);
  const line = page.locator('.trouble[data-kind="action"]');
  await line.waitFor();
  expect(await line.textContent()).toMatch(/^Not done \(HTTP 403: .*reload/);
  expect(await line.getAttribute('role')).toBe('alert');
  // Refreshes keep going and do not clear it: it is the action's.
  await page.waitForTimeout(1_200);
  expect(await line.count()).toBe(1);
  expect(await page.locator('#alerts').innerHTML()).toContain(alertId);
  expect(before).toContain(alertId);
  // Not resolved by the refused click: resolving it now finds it still firing.
  expect(dashboard.resolveAlert(alertId)).toBe(true);
  expect(problems.problems.filter((p) => !p.includes('403'))).toEqual([]);
  await context.close();
});

test('a refresh that fails says so and the figures are older; once the server answers again, the line goes', async () => {
  const context = await browser.newContext({ extraHTTPHeaders: { 'x-api-key': KEY } });
  const page = await context.newPage();
  await page.goto(`${base}/performance?app=shop`);
  const fragments = (url: URL) => url.pathname.includes('/fragments/');
  // The server gone: the connection refused.
  await page.route(fragments, (route) => route.abort('connectionrefused'));
  const line = page.locator('.trouble[data-kind="refresh"]');
  await line.waitFor({ timeout: 5_000 });
  expect(await line.textContent()).toBe('Refresh failed (the dashboard did not answer); the figures shown may be older. Trying again.');
  // A server answering 503 with its reason.
  await page.unroute(fragments);
  await page.route(fragments, (route) => route.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify({ error: { code: 'unavailable', message: 'the store is restarting' } }) }));
  await page.waitForFunction(() => document.querySelector('.trouble[data-kind="refresh"]')?.textContent?.includes('HTTP 503'), undefined, { timeout: 5_000 });
  expect(await line.textContent()).toBe('Refresh failed (HTTP 503: the store is restarting); the figures shown may be older. Trying again.');
  expect(await page.locator('#routes').count()).toBe(1);
  // Back: the next refresh that answers takes the line away.
  await page.unroute(fragments);
  await line.waitFor({ state: 'detached', timeout: 5_000 });
  await context.close();
});

test('one panel failing keeps one steady line (it was taken away and put back each tick); a session ending takes it away, for nothing will be tried again', async () => {
  const context = await browser.newContext({ extraHTTPHeaders: { 'x-api-key': KEY } });
  const page = await context.newPage();
  await page.goto(`${base}/performance?app=shop`);
  await page.evaluate(() => {
    const w = window as unknown as { inserted: number; removed: number };
    w.inserted = 0;
    w.removed = 0;
    new MutationObserver((records) => {
      for (const r of records) {
        for (const n of r.addedNodes) if (n instanceof Element && n.matches('.trouble')) w.inserted++;
        for (const n of r.removedNodes) if (n instanceof Element && n.matches('.trouble')) w.removed++;
      }
    }).observe(document.querySelector('main')!, { childList: true });
  });
  const traces = (url: URL) => url.pathname.endsWith('/fragments/traces');
  await page.route(traces, (route) => route.fulfill({ status: 503, contentType: 'application/json', body: '{"error":{"message":"busy"}}' }));
  const line = page.locator('.trouble[data-kind="refresh"]');
  await line.waitFor({ timeout: 5_000 });
  await page.waitForTimeout(2_500); // five ticks, the other panels answering
  expect(await page.evaluate(() => (window as unknown as { inserted: number; removed: number }).inserted)).toBe(1);
  expect(await page.evaluate(() => (window as unknown as { inserted: number; removed: number }).removed)).toBe(0);
  expect(await line.textContent()).toBe('Refresh failed (HTTP 503: busy); the figures shown may be older. Trying again.');
  // The session ends (as when the app restarts and its sessions go): stopped, and the line with it.
  await page.unroute(traces);
  await page.route((url) => url.pathname.includes('/fragments/'), (route) => route.fulfill({ status: 401, contentType: 'application/json', body: '{"error":{"code":"unauthorized","message":"credentials required"}}' }));
  await page.locator('p.session-ended:not(.trouble)').waitFor({ timeout: 5_000 });
  expect(await page.locator('.trouble').count()).toBe(0);
  await context.close();
});

test('after a Resolve from the keyboard the focus is on the Alerts panel, not the start of the page (its button went with the alert)', async () => {
  const alertId = dashboard.addAlert('warning', 'Disk filling');
  const context = await browser.newContext();
  const page = await context.newPage();
  // Signed in by the form: a session, whose CSRF token the Resolve form carries.
  await page.goto(`${base}/performance?app=shop`);
  await page.fill('input[name="apiKey"]', KEY);
  await Promise.all([page.waitForURL(/\/performance\?app=shop$/), page.click('button[type="submit"]')]);
  await page.focus(`#resolve-${alertId}`);
  await Promise.all([page.waitForResponse((r) => r.url().includes('/alerts/resolve')), page.keyboard.press('Enter')]);
  await page.waitForFunction((id) => document.querySelector(`li.alert[data-alert-id="${id}"]`)?.classList.contains('resolved'), alertId, { timeout: 5_000 });
  expect(await page.evaluate(() => document.activeElement?.id)).toBe('alerts');
  await context.close();
});

