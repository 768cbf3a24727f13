// The in-process PerformanceDashboard on a real Bun app, in Chromium: the same checks as at the
// edge (sign-in, charts, numbers equal to the monitor's, live refresh, resolve, waterfall, hostile data).
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import type { Browser } from 'playwright-core';
import { compose, performanceDashboard, performanceMonitor, requestTracer } from '../../src/middleware/index.ts';
import type { EnhancedRequest } from '../../src/middleware/index.ts';
import { formatCount } from '../../src/views/format.ts';
import { launchBrowser, paintedPixelsPerChart, screenshot, watchForTrouble } from '../support/browser.ts';
import { HOSTILE } from '../support/fixed-source.ts';

setDefaultTimeout(60_000);

const monitor = performanceMonitor({ sampleRate: 1, profiling: { enabled: true, interval: 200 } });
const tracer = requestTracer({ sampleRate: 1 });
const dashboard = performanceDashboard({ path: '/performance', title: 'Shop', app: 'shop', refreshInterval: 1000, monitor, tracer, authentication: { enabled: true, apiKey: 'in-process-key', username: 'admin', password: 'pw' } });
let server: ReturnType<typeof Bun.serve>;
let base: string;
let browser: Browser;
let tracedId = '';

async function app(req: EnhancedRequest): Promise<Response> {
  const url = new URL(req.url);
  if (url.pathname.startsWith('/users/')) {
    const child = tracer.createChildSpan(req.spanId!, 'database-query');
    if (child) {
      tracer.addTag(child, 'db.table', 'users');
      tracer.addTag(child, 'evil', HOSTILE.tag);
      tracer.finish(child, 'ok');
    }
    tracedId = req.traceId ?? tracedId;
    return Response.json({ id: url.pathname.split('/')[2] });
  }
  if (url.pathname === '/boom') return new Response('no', { status: 500 });
  return new Response('not found', { status: 404 });
}

beforeAll(async () => {
  // The dashboard first, so its own pages are not measured; then the monitor and the tracer.
  const handler = compose([dashboard, monitor, tracer], app);
  server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: (req) => handler(req) });
  base = `http://127.0.0.1:${server.port}`;
  for (let i = 0; i < 60; i++) await fetch(`${base}/users/${i}`, { headers: { 'user-agent': HOSTILE.userAgent } });
  for (let i = 0; i < 7; i++) await fetch(`${base}/boom`);
  await fetch(`${base}${encodeURI(HOSTILE.path)}`);
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  server?.stop(true);
  await monitor.close();
  await tracer.close();
});

describe('in-process dashboard', () => {
  test('addAlert, resolveAlert and updateMetricsHistory work without a browser', async () => {
    // A monitor of its own with nothing counted: given none, it would show the one this file made (the process's).
    const empty = { getRollupCells: () => [], getProfiles: () => [], getActiveAlerts: () => [] };
    const local = performanceDashboard({ authentication: { enabled: false }, monitor: empty });
    const id = local.addAlert('critical', 'Service is experiencing errors');
    local.updateMetricsHistory({ responseTime: 150, memoryUsage: 256 * 1024 * 1024, requestCount: 10, errorCount: 2 });
    const page = await (await local(new Request('http://x/performance'), async () => new Response('app'))).text();
    expect(page).toContain('Service is experiencing errors');
    expect(page).toContain('10 requests');
    expect(page).toContain('2 errors');
    expect(local.resolveAlert(id)).toBe(true);
    expect(local.resolveAlert(id)).toBe(false);
    expect(await (await local(new Request('http://x/other'), async () => new Response('app'))).text()).toBe('app');
  });

  test('addAlert with an Error or an object (from JavaScript) shows it as text; the page keeps answering', async () => {
    const local = performanceDashboard({ authentication: { enabled: false } });
    local.addAlert('critical', new RangeError('db <down>') as unknown as string);
    local.addAlert('warning', { code: 1 } as unknown as string);
    // A type not one of the two is refused (it had been shown as a warning silently): nothing added.
    expect(() => local.addAlert('loud' as 'warning', 'x')).toThrow("addAlert: expected type 'warning' or 'critical'");
    const response = await local(new Request('http://x/performance'), async () => new Response('app'));
    expect(response.status).toBe(200);
    const page = await response.text();
    expect(page).toContain('RangeError: db &lt;down&gt;');
    expect(page).toContain('[object Object]');
  });

  test('sign in, charts drawn, numbers equal the monitor, live refresh, resolve, no CSP violation', async () => {
    const alertId = dashboard.addAlert('warning', 'High response time detected');
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const trouble = watchForTrouble(page);
    expect((await page.goto(`${base}/performance`))!.status()).toBe(401);
    await page.fill('input[name="apiKey"]', 'in-process-key');
    await Promise.all([page.waitForURL(`${base}/performance`), page.click('button[type="submit"]')]);
    trouble.problems.length = 0;
    await page.waitForFunction(() => document.querySelectorAll('.chart-canvas[data-drawn="true"]').length >= 4, undefined, { timeout: 15_000 });
    for (const painted of (await paintedPixelsPerChart(page)).slice(0, 4)) expect(painted).toBeGreaterThan(100);

    const counted = monitor.getAggregatedMetrics(3_600_000);
    expect(counted.count).toBe(68);
    await expect(page.locator('[data-metric="requests"] .value').textContent()).resolves.toBe(formatCount(68));
    // The live tile: the monitor's requests in the window it names, over the time that window covers.
    const group = page.locator('.tile-group.live');
    // Read together: a live refresh between two reads gives the window of two renders (it failed so under load).
    const [from, until, rps] = await group.evaluate((el): [number, number, number] => [
      Number(el.getAttribute('data-from')), Number(el.getAttribute('data-until')), Number(el.querySelector('[data-metric="rps"]')?.getAttribute('data-value')),
    ]);
    expect(until - from).toBeGreaterThanOrEqual(60_000);
    expect(until - from).toBeLessThan(61_500);
    const inWindow = monitor.getRollupCells().filter((c) => c.minute >= from && c.minute < until).reduce((n, c) => n + c.count, 0);
    expect(rps).toBeCloseTo(inWindow / ((until - from) / 1000), 9);
    const row = page.locator('#routes tr', { has: page.locator('span', { hasText: /^\/users\/:id$/ }) }).first();
    expect(await row.locator('[data-col="requests"]').textContent()).toBe('60');

    for (let i = 0; i < 5; i++) await fetch(`${base}/users/new-${i}`);
    await page.waitForFunction(() => document.querySelector('[data-metric="requests"] .value')?.textContent === '73', undefined, { timeout: 10_000 });

    await page.locator(`li.alert[data-alert-id="${alertId}"] button[type="submit"]`).click();
    await page.waitForFunction((id) => document.querySelector(`li.alert[data-alert-id="${id}"]`)?.classList.contains('resolved'), alertId, { timeout: 5000 });
    await screenshot(page, 'in-process-dashboard-main.png');
    expect(trouble.problems).toEqual([]);
    await context.close();
  });

  test('the waterfall shows a request with its child span; hostile strings stay text', async () => {
    const context = await browser.newContext({ httpCredentials: { username: 'admin', password: 'pw' } });
    const page = await context.newPage();
    const trouble = watchForTrouble(page);
    expect((await page.goto(`${base}/performance/login/basic`))!.status()).toBe(200);
    await page.goto(`${base}/performance/traces/${tracedId}`);
    expect(await page.locator('li.span').count()).toBe(2);
    await page.locator('li.span summary').nth(1).click();
    await expect(page.getByText(HOSTILE.tag, { exact: true }).first().isVisible()).resolves.toBe(true);
    expect(await page.locator('img[src="x"], svg[onload]').count()).toBe(0);
    expect(trouble.problems).toEqual([]);
    await context.close();
  });
});
