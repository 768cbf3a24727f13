// The traces form's hidden values come back as they are (found by a review): @kitajs/html escapes
// only `"` in attributes, so a route `/amp&amp;lt;` was written raw, a browser read it as
// `/amp&lt;`, and the form found no trace of it. The app's name is the option's, invisible
// characters and all: the form must submit it as the app is named, not as the page shows it, and
// the page must not carry those characters raw (they are written as character references).
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import type { Browser } from 'playwright-core';
import { compose, performanceDashboard, performanceMonitor, requestTracer } from '../../src/middleware/index.ts';
import { launchBrowser, watchForTrouble } from '../support/browser.ts';

setDefaultTimeout(60_000);

const KEY = 'form-values-key-0123456789';
const APP = 'sh&amp;op &lt;\u202e\u200b"x"';
// Each reads as another text if its `&` is decoded once too often.
const ROUTES = ['/amp&amp;lt;', '/q&quot;x&lt;b&gt;', '/plain'];
const monitor = performanceMonitor({ sampleRate: 1 });
const tracer = requestTracer({ sampleRate: 1 });
const dashboard = performanceDashboard({ path: '/performance', app: APP, refreshInterval: 60_000, monitor, tracer, authentication: { enabled: true, apiKey: KEY } });
let server: ReturnType<typeof Bun.serve>;
let base: string;
let browser: Browser;

// An attribute's value as a browser reads it: each character reference decoded once.
const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const decodeOnce = (value: string) => value.replace(/&(?:#(\d+)|#x([0-9a-f]+)|(\w+));/gi, (whole, dec, hex, name) => (dec ? String.fromCodePoint(Number(dec)) : hex ? String.fromCodePoint(parseInt(hex, 16)) : (NAMED[name] ?? whole)));
const hiddenValue = (html: string, name: string) => {
  const raw = new RegExp(`<input type="(?:hidden|text)"[^>]*name="${name}" value="([^"]*)"`).exec(html)?.[1];
  return raw === undefined ? undefined : decodeOnce(raw);
};
const query = (route: string) => `app=${encodeURIComponent(APP)}&route=${encodeURIComponent(route)}&method=GET`;

beforeAll(async () => {
  const handler = compose([dashboard, monitor, tracer], () => new Response('ok'));
  server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: (req) => handler(req) });
  base = `http://127.0.0.1:${server.port}`;
  for (const route of ROUTES) expect((await fetch(`${base}${route}`)).status).toBe(200);
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  server?.stop(true);
  await monitor.close();
  await tracer.close();
});

describe('the traces form submits the route and app it was given', () => {
  test('each hidden value, decoded once as a browser does, is the true route and app', async () => {
    for (const route of ROUTES) {
      const response = await fetch(`${base}/performance?${query(route)}`, { headers: { 'x-api-key': KEY } });
      expect(response.status).toBe(200);
      const html = await response.text();
      expect([hiddenValue(html, 'route'), hiddenValue(html, 'traceRoute'), hiddenValue(html, 'app')]).toEqual([route, route, APP]);
      // The app's invisible characters are references there: the page carries none raw.
      expect(/[\u202e\u200b]/.test(html)).toBe(false);
    }
  });

  test('in Chromium, the form finds the trace of a route whose name holds character references', async () => {
    const context = await browser.newContext({ extraHTTPHeaders: { 'x-api-key': KEY } });
    const page = await context.newPage();
    const trouble = watchForTrouble(page);
    for (const route of ROUTES) {
      await page.goto(`${base}/performance?${query(route)}`);
      expect(await page.locator('#traces input[name="route"]').inputValue()).toBe(route);
      expect(await page.locator('#traces input[name="app"]').inputValue()).toBe(APP);
      const [answered] = await Promise.all([page.waitForResponse((r) => r.url().includes('/fragments/traces') && r.request().headers()['hx-request'] !== undefined), page.click('#traces #trace-filter')]);
      const url = new URL(answered.url());
      expect([url.searchParams.get('route'), url.searchParams.get('traceRoute'), url.searchParams.get('app')]).toEqual([route, route, APP]);
      // The list the form gets back holds the route's one trace (the page had shown it before the submit).
      expect(new Set((await answered.text()).match(/traces\/[0-9a-f]{32}/g)).size).toBe(1);
    }
    expect(trouble.problems).toEqual([]);
    await context.close();
  });
});
