// The dashboard's session ends while a page is open (signed out in another tab), in Chromium against
// the Worker in workerd with both sign-in methods on: the page's refreshes are refused without a
// password prompt, the panels keep what they showed, live mode stops, and one notice leads to the
// sign-in, which names this page as where to go next.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import type { Browser } from 'playwright-core';
import type { LocalEdge } from '../../scripts/local-edge.ts';
import { launchBrowser } from '../support/browser.ts';
import { ingestOk, startEdge } from './support/edge.ts';
import { generateTraffic } from './support/traffic.ts';

setDefaultTimeout(60_000);

const DASHBOARD = { DASHBOARD_USERNAME: 'ops', DASHBOARD_PASSWORD: 'pa55-word', DASHBOARD_API_KEY: 'dash-key-0123456789', SESSION_SECRET: 'session-secret-0123456789', DASHBOARD_REFRESH_MS: '1000' };
const PANELS = ['#summary', '#alerts', '#routes', '#traces'];
let edge: LocalEdge;
let browser: Browser;

beforeAll(async () => {
  edge = await startEdge({ bindings: DASHBOARD });
  const traffic = generateTraffic({ end: Date.now(), minutes: 5, perMinute: 20, seed: 3, app: 'shop' });
  for (const batch of traffic.batches) await ingestOk(edge, batch, { gzip: true });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await edge?.dispose();
});

describe('the session ends while the dashboard is open', () => {
  test('no password prompt, panels kept, refresh stopped, one notice linking to the sign-in', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const dialogs: string[] = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    // What Chromium would turn into a password prompt: a challenge on any of the page's requests.
    const prompts: string[] = [];
    const cdp = await context.newCDPSession(page);
    cdp.on('Fetch.requestPaused', (event) => void cdp.send('Fetch.continueRequest', { requestId: event.requestId }).catch(() => {}));
    cdp.on('Fetch.authRequired', (event) => {
      prompts.push(event.request.url);
      void cdp.send('Fetch.continueWithAuth', { requestId: event.requestId, authChallengeResponse: { response: 'CancelAuth' } }).catch(() => {});
    });
    await cdp.send('Fetch.enable', { handleAuthRequests: true, patterns: [{ urlPattern: '*' }] });
    const refused: Array<{ url: string; challenge: string | null; at: number }> = [];
    const refreshes: number[] = [];
    page.on('request', (request) => {
      if (request.url().includes('/fragments/')) refreshes.push(Date.now());
    });
    page.on('response', (response) => {
      if (response.status() === 401) refused.push({ url: response.url(), challenge: response.headers()['www-authenticate'] ?? null, at: Date.now() });
    });

    const address = new URL('/performance?app=shop&range=1h', edge.url).href;
    await page.goto(address);
    await page.fill('input[name="apiKey"]', DASHBOARD.DASHBOARD_API_KEY);
    await Promise.all([page.waitForURL(/\/performance\?app=shop&range=1h$/), page.click('button[type="submit"]')]);
    await page.waitForSelector('body[data-live="live"]');
    // Paused while the other tab signs out, so the one refresh that follows is the test's.
    await page.click('[data-live-toggle]');
    const before = await Promise.all(PANELS.map((id) => page.locator(id).innerHTML()));
    expect(before.every((panel) => panel.length > 0)).toBe(true);

    const other = await context.newPage();
    await other.goto(address);
    // Signed out, it comes back to the same address (the page it signed out from): wait for the sign-out itself.
    await Promise.all([other.waitForResponse((response) => response.url().endsWith('/performance/logout')), other.click('form.signout button[type="submit"]')]);
    await other.waitForSelector('input[name="apiKey"]');
    await other.close();

    await page.click('[data-live-toggle]'); // resumes, and refreshes at once
    const notice = page.locator('.session-ended');
    await notice.waitFor({ timeout: 10_000 });
    expect(await notice.count()).toBe(1);
    expect(await notice.textContent()).toContain('Your session ended');
    const link = new URL((await notice.locator('a').getAttribute('href'))!, edge.url);
    expect(link.pathname).toBe('/performance/login');
    expect(link.searchParams.get('next')).toBe('/performance?app=shop&range=1h');
    expect(await page.getAttribute('body', 'data-live')).toBe('ended');
    expect(await page.locator('[data-live-state]').textContent()).not.toContain('refreshing');

    // A few intervals later: nothing more was asked, nothing was prompted, the panels are as they were.
    const stoppedAt = Date.now();
    await Bun.sleep(3_000);
    expect(refreshes.filter((at) => at > stoppedAt + 500)).toEqual([]);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.filter((r) => r.challenge !== null)).toEqual([]);
    expect(prompts).toEqual([]);
    expect(dialogs).toEqual([]);
    const after = await Promise.all(PANELS.map((id) => page.locator(id).innerHTML()));
    expect(after).toEqual(before);
    expect(await page.locator('main').textContent()).not.toContain('{"error"');

    // The link signs in again and comes back to this page.
    await page.click('.session-ended a');
    await page.fill('input[name="apiKey"]', DASHBOARD.DASHBOARD_API_KEY);
    await Promise.all([page.waitForURL(/\/performance\?app=shop&range=1h$/), page.click('button[type="submit"]')]);
    await page.waitForSelector('body[data-live="live"]');
    await context.close();
  });
});
