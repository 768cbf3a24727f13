// What only a browser shows, in Chromium against the real Worker in workerd: signing out ends the
// session; a page on another origin can neither post our forms (CSRF) nor frame the dashboard
// (clickjacking), whether it is cross-site (localhost) or same-site on another port.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import type { Browser, BrowserContext } from 'playwright-core';
import type { LocalEdge } from '../../../scripts/local-edge.ts';
import { launchBrowser, watchForTrouble } from '../../support/browser.ts';
import { makeBatch } from '../../support/batch.ts';
import { api, ingestOk, KEYS } from '../support/edge.ts';
import { call, DASHBOARD_SECRETS, startDashboardEdge } from './support.ts';

setDefaultTimeout(60_000);

const RULES = [{ id: 'seen', name: 'Traffic seen', metric: 'requestRate', condition: 'gt', threshold: 0, duration: 600_000, severity: 'warning' }];
let edge: LocalEdge;
let browser: Browser;
let evil: ReturnType<typeof Bun.serve>;
let target = '';

/** The attacker's pages: an auto-submitting form to a dashboard URL, and a frame of the dashboard. */
function evilPage(url: URL): Response {
  const action = url.searchParams.get('action') ?? '';
  const fields = Object.fromEntries(new URLSearchParams(url.searchParams.get('fields') ?? ''));
  if (url.pathname === '/post') {
    const inputs = Object.entries(fields).map(([name, value]) => `<input type="hidden" name="${name}" value="${value}">`).join('');
    return new Response(`<!doctype html><form id="f" method="post" action="${action}">${inputs}</form><script>document.getElementById('f').submit()</script>`, { headers: { 'content-type': 'text/html' } });
  }
  if (url.pathname === '/img') {
    return new Response(`<!doctype html><img id="i" src="${action}">`, { headers: { 'content-type': 'text/html' } });
  }
  if (url.pathname === '/frame') {
    return new Response(`<!doctype html><p>win a prize</p><iframe id="victim" src="${action}" width="800" height="600"></iframe>`, { headers: { 'content-type': 'text/html' } });
  }
  return new Response('not found', { status: 404 });
}

beforeAll(async () => {
  edge = await startDashboardEdge({ bindings: { ALERT_RULES: JSON.stringify(RULES) } });
  const now = Date.now();
  await ingestOk(edge, makeBatch(now));
  await (await edge.mf.getWorker()).scheduled({ cron: '* * * * *', scheduledTime: new Date(now) });
  evil = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: (req) => evilPage(new URL(req.url)) });
  target = edge.url.origin;
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  evil?.stop(true);
  await edge?.dispose();
});

async function signedInContext(): Promise<BrowserContext> {
  const context = await browser.newContext();
  const page = await context.newPage();
  expect((await page.goto(`${target}/performance?app=shop`))!.status()).toBe(401);
  await page.fill('input[name="apiKey"]', DASHBOARD_SECRETS.DASHBOARD_API_KEY);
  await Promise.all([page.waitForURL(/\/performance\?app=shop$/), page.click('button[type="submit"]')]);
  // Leave the dashboard before closing: under load, closing a tab mid-refresh has hung Chromium's
  // close for a minute (the page's own work, not the dashboard's answers, which were all in).
  await page.goto('about:blank');
  await page.close();
  return context;
}

async function sessionCookie(context: BrowserContext): Promise<string> {
  return (await context.cookies(`${target}/performance`)).find((c) => c.name === 'bun_apm_session')!.value;
}

async function firingAlertIds(): Promise<string[]> {
  const alerts = (await api(edge, '/api/v1/apps/shop/alerts', KEYS.shopRead)).body;
  return (alerts.active as Array<{ id: string }>).map((a) => a.id);
}

describe('in Chromium', () => {
  test('Sign out ends the session: the page asks to sign in again and the old cookie is refused everywhere', async () => {
    const context = await signedInContext();
    const page = await context.newPage();
    const trouble = watchForTrouble(page);
    await page.goto(`${target}/performance?app=shop`);
    const before = await sessionCookie(context);
    // Back to the page signed out from, which asks to sign in again.
    await Promise.all([page.waitForURL(/\/performance\?app=shop&range=1h$/), page.click('form.signout button[type="submit"]')]);
    await expect(page.locator('input[name="apiKey"]').isVisible()).resolves.toBe(true);
    expect((await context.cookies(`${target}/performance`)).some((c) => c.name === 'bun_apm_session')).toBe(false);
    const replay = await call(edge.url, '/performance/fragments/summary?app=shop', { headers: { cookie: `bun_apm_session=${before}` } });
    expect(replay.status).toBe(401);
    // The sign-in page itself answers 401, which Chromium logs; nothing else may go wrong.
    expect(trouble.problems.filter((p) => !p.includes('status of 401'))).toEqual([]);
    await context.close();
  });

  for (const [name, evilOrigin] of [['cross-site (localhost)', () => `http://localhost:${evil.port}`], ['same-site, another port', () => `http://127.0.0.1:${evil.port}`]] as const) {
    test(`a ${name} page cannot resolve an alert or sign the user out by posting our forms`, async () => {
      const context = await signedInContext();
      const session = await sessionCookie(context);
      const page = await context.newPage();
      const firing = await firingAlertIds();
      expect(firing.length).toBeGreaterThan(0);
      // The attacker knows the alert id, not the CSRF token (it is bound to the victim's session).
      for (const [action, fields] of [[`${target}/performance/alerts/resolve?app=shop`, `id=${firing[0]}&csrf=guess`], [`${target}/performance/logout`, 'csrf=guess']] as const) {
        const answered = page.waitForResponse((r) => r.url().startsWith(action));
        await page.goto(`${evilOrigin()}/post?action=${encodeURIComponent(action)}&fields=${encodeURIComponent(fields)}`);
        expect([401, 403]).toContain((await answered).status());
      }
      expect(await firingAlertIds()).toEqual(firing);
      expect((await call(edge.url, '/performance/fragments/summary?app=shop', { headers: { cookie: `bun_apm_session=${session}` } })).status).toBe(200);
      await context.close();
    });
  }

  // Cross-site, SameSite=Strict keeps the cookie home (the frame would get the sign-in page);
  // same-site on another port, the cookie goes along and the dashboard itself answers.
  for (const [name, evilOrigin, status] of [['cross-site', () => `http://localhost:${evil.port}`, 401], ['same-site', () => `http://127.0.0.1:${evil.port}`, 200]] as const) {
    test(`a ${name} page cannot frame the dashboard (frame-ancestors 'none', X-Frame-Options DENY)`, async () => {
      const context = await signedInContext();
      const page = await context.newPage();
      const messages: string[] = [];
      page.on('console', (message) => messages.push(message.text()));
      const framed = page.waitForResponse((r) => r.url().startsWith(`${target}/performance`));
      await page.goto(`${evilOrigin()}/frame?action=${encodeURIComponent(`${target}/performance?app=shop`)}`, { waitUntil: 'domcontentloaded' });
      expect((await framed).status()).toBe(status);
      // Chromium refuses to show it: the frame holds its error page, not ours.
      const deadline = Date.now() + 10_000;
      const refusal = (text: string) => text.includes("frame-ancestors 'none'") && text.includes('blocked');
      while (!messages.some(refusal) && Date.now() < deadline) await Bun.sleep(50);
      expect(messages.some(refusal)).toBe(true);
      const frameUrl = () => page.frames().find((f) => f !== page.mainFrame())?.url() ?? '';
      while (!frameUrl().startsWith('chrome-error://') && Date.now() < deadline) await Bun.sleep(50);
      expect(frameUrl()).toStartWith('chrome-error://');
      await context.close();
    });
  }

  test('a web page cannot fire the local cron: an <img> of /__scheduled is refused (a tick had kept the alarms from evaluating rules for 10 minutes)', async () => {
    const before = (await (await edge.store('shop')).status()).lastTick;
    const time = Date.UTC(2026, 0, 1, 0, 0, 0);
    const context = await browser.newContext();
    const page = await context.newPage();
    const isTick = (request: { url(): string }) => request.url().includes('/__scheduled');
    const settled = Promise.race([page.waitForEvent('requestfinished', isTick), page.waitForEvent('requestfailed', isTick)]);
    await page.goto(`http://localhost:${evil.port}/img?action=${encodeURIComponent(`${target}/__scheduled?cron=*+*+*+*+*&time=${time}`)}`);
    // Answered either way: its 403 (or, before, its 200) is then blocked from the page by our Cross-Origin-Resource-Policy.
    expect((await settled).failure()?.errorText ?? 'finished').toMatch(/BLOCKED_BY_RESPONSE|finished/);
    await context.close();
    expect((await (await edge.store('shop')).status()).lastTick).toBe(before);
    // The same request from a script (no Sec-Fetch-Site) still fires it, as the tests and `npm run dev:edge` use it.
    expect((await fetch(`${target}/__scheduled?cron=*+*+*+*+*&time=${time}`)).status).toBe(200);
    expect((await (await edge.store('shop')).status()).lastTick).toBe(time);
  });
});
