// The edge's dashboard in Chromium: the real Worker in workerd with ingested data, logged in with
// the API key and with basic auth; numbers checked against the export API; hostile data inert.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import type { Browser } from 'playwright-core';
import type { LocalEdge } from '../../scripts/local-edge.ts';
import { formatCount } from '../../src/views/format.ts';
import { newSpanId, newTraceId } from '../../src/core/trace-context.ts';
import { makeBatch } from '../support/batch.ts';
import { launchBrowser, paintedPixelsPerChart, screenshot, watchForTrouble } from '../support/browser.ts';
import { HOSTILE } from '../support/fixed-source.ts';
import { api, ingestOk, KEYS, startEdge } from './support/edge.ts';
import { generateTraffic } from './support/traffic.ts';

setDefaultTimeout(60_000);

const RULES = [{ id: 'traffic', name: 'Traffic <b>seen</b>', metric: 'requestRate', condition: 'gt', threshold: 0, duration: 600_000, severity: 'warning' }];
const DASHBOARD = { ALERT_RULES: JSON.stringify(RULES), DASHBOARD_USERNAME: 'ops', DASHBOARD_PASSWORD: 'pa55-word', DASHBOARD_API_KEY: 'dash-key-0123456789', SESSION_SECRET: 'session-secret-0123456789', DASHBOARD_REFRESH_MS: '1000' };
let edge: LocalEdge;
let browser: Browser;
const hostileTrace = newTraceId();

beforeAll(async () => {
  edge = await startEdge({ bindings: DASHBOARD });
  const now = Date.now();
  const traffic = generateTraffic({ end: now, minutes: 20, perMinute: 40, seed: 11, app: 'shop' });
  for (const batch of traffic.batches) await ingestOk(edge, batch, { gzip: true });
  // Strangers' strings: a path, a user agent and a span tag that are markup.
  const span = newSpanId();
  const hostile = makeBatch(now, {
    samples: [{ timestamp: now - 2000, method: 'GET', path: HOSTILE.path, route: HOSTILE.path, statusCode: 500, duration: 42, userAgent: HOSTILE.userAgent, traceId: hostileTrace, spanId: span }],
    spans: [
      { traceId: hostileTrace, spanId: span, name: `GET ${HOSTILE.path}`, kind: 'server', startTime: now - 2000, duration: 42, status: 'error', error: HOSTILE.tag, tags: { 'http.route': HOSTILE.path, 'user_agent.original': HOSTILE.userAgent, evil: HOSTILE.tag }, logs: [{ timestamp: now - 1990, level: 'error', message: HOSTILE.tag }] },
      { traceId: hostileTrace, spanId: newSpanId(), parentSpanId: span, name: 'database-query', kind: 'internal', startTime: now - 1995, duration: 20, status: 'ok', tags: { 'db.table': 'users' }, logs: [] },
    ],
  });
  await ingestOk(edge, hostile);
  await (await edge.mf.getWorker()).scheduled({ cron: '* * * * *', scheduledTime: new Date(now) });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await edge?.dispose();
});

describe('edge dashboard', () => {
  test('without secrets configured it refuses to open rather than serve an open dashboard', async () => {
    const bare = await startEdge();
    try {
      const res = await fetch(new URL('/performance', bare.url));
      expect(res.status).toBe(503);
      expect((await res.json()).error.message).toContain('DASHBOARD_API_KEY');
    } finally {
      await bare.dispose();
    }
  });

  test('API-key login: charts drawn, tiles equal the export API, new data appears without reload, no CSP violation', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const trouble = watchForTrouble(page);
    expect((await page.goto(new URL('/performance?app=shop', edge.url).href))!.status()).toBe(401);
    await page.fill('input[name="apiKey"]', DASHBOARD.DASHBOARD_API_KEY);
    await Promise.all([page.waitForURL(/\/performance\?app=shop$/), page.click('button[type="submit"]')]);
    trouble.problems.length = 0;
    await page.waitForFunction(() => document.querySelectorAll('.chart-canvas[data-drawn="true"]').length >= 4, undefined, { timeout: 15_000 });
    for (const painted of (await paintedPixelsPerChart(page)).slice(0, 4)) expect(painted).toBeGreaterThan(100);

    const summary = (await api(edge, '/api/v1/apps/shop/summary', KEYS.shopRead)).body;
    expect(await page.locator('[data-metric="requests"] .value').textContent()).toBe(formatCount(summary.requests));
    // The live tiles count what the live API counts, over the window both name.
    const live = (await api(edge, '/api/v1/apps/shop/live', KEYS.shopRead)).body;
    const group = page.locator('.tile-group.live');
    expect(Number(await group.getAttribute('data-from'))).toBe(live.from);
    expect(Number(await group.getAttribute('data-until'))).toBe(live.until);
    expect(await page.locator('[data-metric="rps"] .hint').textContent()).toStartWith(`${formatCount(live.requests)} request`);
    const routes = (await api(edge, '/api/v1/apps/shop/routes', KEYS.shopRead)).body.routes as Array<{ route: string; requests: number }>;
    const users = routes.find((r) => r.route === '/users/:id')!;
    const row = page.locator('#routes tr', { has: page.locator('span', { hasText: /^\/users\/:id$/ }) }).first();
    expect(await row.locator('[data-col="requests"]').textContent()).toBe(formatCount(users.requests));

    await ingestOk(edge, makeBatch(Date.now()));
    const after = (await api(edge, '/api/v1/apps/shop/summary', KEYS.shopRead)).body.requests;
    expect(after).toBe(summary.requests + 3);
    await page.waitForFunction((n) => document.querySelector('[data-metric="requests"] .value')?.textContent === n, formatCount(after), { timeout: 10_000 });

    // The hostile trace is listed by its name, as text.
    await expect(page.locator('#traces a', { hasText: HOSTILE.path }).first().isVisible()).resolves.toBe(true);
    await screenshot(page, 'edge-dashboard-main.png');
    expect(trouble.problems).toEqual([]);
    await context.close();
  });

  test('a firing alert from the cron is on the page, its name escaped, and resolving it needs the CSRF token', async () => {
    const context = await browser.newContext({ httpCredentials: { username: 'ops', password: DASHBOARD.DASHBOARD_PASSWORD } });
    const page = await context.newPage();
    const trouble = watchForTrouble(page);
    expect((await page.goto(new URL('/performance/login/basic', edge.url).href))!.status()).toBe(200);
    await page.goto(new URL('/performance?app=shop', edge.url).href);
    const alert = page.locator('li.alert.firing').first();
    await expect(alert.locator('.name').textContent()).resolves.toBe('Traffic <b>seen</b>');
    const id = (await alert.getAttribute('data-alert-id'))!;
    // Without the token the edge refuses and the alert stays firing.
    const forged = await page.evaluate(async (alertId) => (await fetch('/performance/alerts/resolve?app=shop', { method: 'POST', body: new URLSearchParams({ id: alertId }) })).status, id);
    expect(forged).toBe(403);
    await alert.locator('button[type="submit"]').click();
    await page.waitForFunction((alertId) => document.querySelector(`li.alert[data-alert-id="${alertId}"]`)?.classList.contains('resolved'), id, { timeout: 10_000 });
    const alerts = (await api(edge, '/api/v1/apps/shop/alerts', KEYS.shopRead)).body;
    expect(JSON.stringify(alerts.active ?? alerts)).not.toContain(id);
    expect(trouble.problems.filter((p) => !p.includes('403'))).toEqual([]);
    await context.close();
  });

  test('basic auth: wrong password refused, right one signs in; the waterfall shows the trace, hostile tags as text', async () => {
    const wrong = await browser.newContext({ httpCredentials: { username: 'ops', password: 'nope' } });
    expect((await (await wrong.newPage()).goto(new URL('/performance/login/basic', edge.url).href))!.status()).toBe(401);
    await wrong.close();

    const context = await browser.newContext({ httpCredentials: { username: 'ops', password: DASHBOARD.DASHBOARD_PASSWORD } });
    const page = await context.newPage();
    const trouble = watchForTrouble(page);
    expect((await page.goto(new URL('/performance/login/basic', edge.url).href))!.status()).toBe(200);
    await page.goto(new URL(`/performance/traces/${hostileTrace}?app=shop`, edge.url).href);
    expect(await page.locator('li.span').count()).toBe(2);
    await page.locator('li.span summary').first().click();
    for (const text of [HOSTILE.tag, HOSTILE.userAgent]) await expect(page.getByText(text, { exact: true }).first().isVisible()).resolves.toBe(true);
    expect(await page.locator('img[src="x"], svg[onload]').count()).toBe(0);
    await screenshot(page, 'edge-dashboard-trace.png');
    expect(trouble.problems).toEqual([]);
    await context.close();
  });
});
