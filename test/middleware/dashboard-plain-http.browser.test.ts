// The in-process dashboard opened in Chromium from an http:// origin that is not localhost, as in a
// container or on a LAN host (http://10.x.x.x:3000): the browser keeps the sign-in cookies, so the
// page signs in and its forms post with the session's CSRF token. With Secure cookies it went back
// to the login page after every sign-in (a review): 127.0.0.1 and localhost hide this, as browsers
// take Secure cookies from them, so the server is reached by a name mapped to 127.0.0.1.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { chromium, type Browser } from 'playwright-core';
import { performanceDashboard } from '../../src/middleware/index.ts';
import { watchForTrouble } from '../support/browser.ts';

setDefaultTimeout(60_000);

const KEY = 'plain-http-key-0123456789';
const HOST = 'apm.test';
const dashboard = performanceDashboard({ path: '/performance', app: 'shop', refreshInterval: 1000, authentication: { apiKey: KEY } });
let server: ReturnType<typeof Bun.serve>;
let origin: string;
let browser: Browser;

beforeAll(async () => {
  server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: (req, srv) => dashboard(req, async () => new Response('app'), srv) });
  origin = `http://${HOST}:${server.port}`;
  // launchBrowser's flags, and the name resolved to the loopback server (no DNS on this machine).
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--host-resolver-rules=MAP ${HOST} 127.0.0.1`],
  });
});

afterAll(async () => {
  await browser?.close();
  server?.stop(true);
});

describe('the in-process dashboard at a plain-http origin that is not localhost', () => {
  test('the API-key sign-in sticks: the browser keeps the cookies, the page is signed in, and resolving an alert posts with its CSRF token', async () => {
    const alertId = dashboard.addAlert('warning', 'Queue backing up');
    const context = await browser.newContext();
    const page = await context.newPage();
    const trouble = watchForTrouble(page);
    expect((await page.goto(`${origin}/performance`))!.status()).toBe(401);
    expect(await page.evaluate(() => window.isSecureContext)).toBe(false);
    await page.fill('input[name="apiKey"]', KEY);
    const [signedIn] = await Promise.all([page.waitForNavigation({ url: `${origin}/performance` }), page.click('button[type="submit"]')]);
    expect(signedIn!.status()).toBe(200);
    expect((await context.cookies(`${origin}/performance`)).map((c) => c.name).sort()).toEqual(['bun_apm_device', 'bun_apm_session']);
    // The form's sign-in went to the dashboard, not back to the login page.
    expect(await page.locator('input[name="apiKey"]').count()).toBe(0);

    trouble.problems.length = 0;
    await page.locator(`li.alert[data-alert-id="${alertId}"] button[type="submit"]`).click();
    await page.waitForFunction((id) => document.querySelector(`li.alert[data-alert-id="${id}"]`)?.classList.contains('resolved'), alertId, { timeout: 10_000 });
    expect(dashboard.resolveAlert(alertId)).toBe(false);
    expect(trouble.problems).toEqual([]);
    await context.close();
  });
});
