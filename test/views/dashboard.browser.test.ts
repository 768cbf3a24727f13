// The dashboard's views, handler and browser code together in real Chromium, over fixed data.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import type { Browser } from 'playwright-core';
import { createDashboardHandler } from '../../src/core/dashboard/handler.ts';
import { ALL_FEATURES } from '../../src/core/dashboard/view-context.ts';
import { serveAsset } from '../../src/middleware/dashboard/serve-asset.ts';
import { dashboardViews } from '../../src/views/index.ts';
import { launchBrowser, paintedPixelsPerChart, screenshot, watchForTrouble } from '../support/browser.ts';
import { fixedSource, HOSTILE } from '../support/fixed-source.ts';

setDefaultTimeout(30_000);

let browser: Browser;
let server: ReturnType<typeof Bun.serve>;
let base: string;
const fixture = fixedSource(Date.now());
let requestsShown = 1234;
/** Requests the server is answering, and when the last one came in. */
let serving = 0;
let lastArrival = 0;

/**
 * Waits until the server has answered every request and none came in for half a second. A
 * refresh the page sent just before a pause is answered after it, with the data of that moment:
 * a test changes the data only after that, to see that the paused page asks for nothing more.
 */
async function settled(): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (serving > 0 || Date.now() - lastArrival < 500) {
    if (Date.now() > deadline) throw new Error(`${serving} request(s) still being answered, or the page keeps sending`);
    await Bun.sleep(50);
  }
}

beforeAll(async () => {
  const source = { ...fixture.source, summary: async (app: string, w: { from: number; to: number }) => ({ ...(await fixture.source.summary(app, w, {})), requests: requestsShown }) };
  const handler = createDashboardHandler({
    path: '/performance', title: 'Shop performance', refreshInterval: 1000, features: ALL_FEATURES,
    authentication: { username: 'admin', password: 's3cret', apiKey: 'key-123' },
    source, views: dashboardViews, assetsPath: '/performance/assets', serveAsset,
  });
  server = Bun.serve({
    hostname: '127.0.0.1', port: 0,
    fetch: async (req, srv) => {
      serving++;
      lastArrival = Date.now();
      try {
        return (await handler(req, srv.requestIP(req)?.address ?? '?')) ?? new Response('not found', { status: 404 });
      } finally {
        serving--;
      }
    },
  });
  base = `http://127.0.0.1:${server.port}`;
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  server?.stop(true);
});

describe('dashboard in Chromium', () => {
  test('API-key login, charts drawn, hostile data shown as text, live refresh, no CSP violation', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const trouble = watchForTrouble(page);
    const first = await page.goto(`${base}/performance`);
    expect(first!.status()).toBe(401);
    await page.fill('input[name="apiKey"]', 'key-123');
    await Promise.all([page.waitForURL(`${base}/performance`), page.click('button[type="submit"]')]);
    trouble.problems.length = 0; // the 401 of the sign-in page itself is logged as a failed load
    await page.waitForSelector('.chart-canvas[data-drawn="true"] canvas');
    await page.waitForFunction(() => document.querySelectorAll('.chart-canvas[data-drawn="true"]').length >= 5);
    const painted = await paintedPixelsPerChart(page);
    expect(painted.length).toBeGreaterThanOrEqual(5);
    for (const count of painted) expect(count).toBeGreaterThan(100);
    // System series by instance, whatever its name: `t` does not replace the time axis, `__proto__` is not lost.
    const system = await fixture.source.system('shop', 'memory', { from: 0, to: 0 });
    const memory = page.locator('[data-chart="system-memory"]');
    await expect(memory.getAttribute('data-span')).resolves.toBe(`${system.t[0]}..${system.t[1]}`);
    expect((await memory.locator('.u-legend .u-series .u-label').allTextContents()).slice(1)).toEqual(['__proto__', 'host-1', 't']);

    // The hostile strings are on the page as text, and nothing they carry ran.
    await expect(page.getByText(HOSTILE.path, { exact: true }).first().isVisible()).resolves.toBe(true);
    expect(await page.locator('img[src="x"], svg[onload]').count()).toBe(0);

    // The live tiles say what they count; tiny latencies in µs, counts with their plural.
    await expect(page.locator('.tile-group.live .group-title').textContent()).resolves.toContain('last 60 s');
    await expect(page.locator('[data-metric="p50"] .value').textContent()).resolves.toBe('4.20 µs');
    await expect(page.locator('[data-metric="error-rate"] .hint').textContent()).resolves.toStartWith('1 error,');

    // New data shows without a reload while live.
    expect(await page.locator('body').getAttribute('data-live')).toBe('live');
    await expect(page.locator('[data-metric="requests"] .value').textContent()).resolves.toBe('1234');
    requestsShown = 4321;
    await page.waitForFunction(() => document.querySelector('[data-metric="requests"] .value')?.textContent === '4321', undefined, { timeout: 5000 });

    // Paused: nothing reloads, however long it waits; resumed: at once.
    await page.click('[data-live-toggle]');
    expect(await page.locator('body').getAttribute('data-live')).toBe('paused');
    await expect(page.locator('[data-live-label]').textContent()).resolves.toBe('Paused');
    await settled();
    requestsShown = 5555;
    await Bun.sleep(2500);
    await expect(page.locator('[data-metric="requests"] .value').textContent()).resolves.toBe('4321');
    await page.click('[data-live-toggle]');
    await page.waitForFunction(() => document.querySelector('[data-metric="requests"] .value')?.textContent === '5555', undefined, { timeout: 5000 });

    // A hidden tab pauses too, and catches up when it is shown again.
    const setVisibility = (state: string) => page.evaluate((value) => {
      Object.defineProperty(document, 'visibilityState', { value, configurable: true });
      document.dispatchEvent(new Event('visibilitychange'));
    }, state);
    await setVisibility('hidden');
    expect(await page.locator('body').getAttribute('data-live')).toBe('hidden');
    await settled();
    requestsShown = 6666;
    await Bun.sleep(2500);
    await expect(page.locator('[data-metric="requests"] .value').textContent()).resolves.toBe('5555');
    await setVisibility('visible');
    await page.waitForFunction(() => document.querySelector('[data-metric="requests"] .value')?.textContent === '6666', undefined, { timeout: 5000 });

    await screenshot(page, 'dashboard-main.png');
    expect(trouble.problems).toEqual([]);
    await context.close();
  });

  test('resolving an alert from the page works (the form carries the CSRF token)', async () => {
    const context = await browser.newContext({ httpCredentials: { username: 'admin', password: 's3cret' } });
    const page = await context.newPage();
    const trouble = watchForTrouble(page);
    // Basic auth is one link away from the login form: /login/basic challenges, then goes home.
    const signedIn = await page.goto(`${base}/performance/login/basic`);
    expect(signedIn!.status()).toBe(200);
    expect(page.url()).toBe(`${base}/performance`);
    const alert = page.locator('li.alert[data-alert-id="a1"]');
    await expect(alert.getAttribute('class')).resolves.toContain('firing');
    await alert.locator('button[type="submit"]').click();
    await page.waitForFunction(() => document.querySelector('li.alert[data-alert-id="a1"]')?.classList.contains('resolved'), undefined, { timeout: 5000 });
    expect(fixture.source.resolved).toContain('a1');
    expect(trouble.problems).toEqual([]);
    await context.close();
  });

  test('the waterfall shows the spans of a trace and their hostile tags as text', async () => {
    const context = await browser.newContext({ httpCredentials: { username: 'admin', password: 's3cret' } });
    const page = await context.newPage();
    const trouble = watchForTrouble(page);
    await page.goto(`${base}/performance/login/basic`);
    await Promise.all([page.waitForURL(/\/traces\//), page.locator('#traces a').first().click()]);
    expect(await page.locator('li.span').count()).toBe(2);
    await page.locator('li.span summary').first().click();
    await expect(page.getByText(HOSTILE.tag, { exact: true }).first().isVisible()).resolves.toBe(true);
    await expect(page.getByText(HOSTILE.userAgent, { exact: true }).first().isVisible()).resolves.toBe(true);
    await screenshot(page, 'dashboard-trace.png');
    expect(trouble.problems).toEqual([]);
    await context.close();
  });

  test('wrong basic-auth credentials get 401', async () => {
    const context = await browser.newContext({ httpCredentials: { username: 'admin', password: 'wrong' } });
    const page = await context.newPage();
    expect((await page.goto(`${base}/performance/login/basic`))!.status()).toBe(401);
    await context.close();
  });

  test('usable on a phone of 375 px: no horizontal page scroll, every route\'s and trace\'s figures in view and labelled', async () => {
    const context = await browser.newContext({ viewport: { width: 375, height: 812 }, httpCredentials: { username: 'admin', password: 's3cret' } });
    const page = await context.newPage();
    await page.goto(`${base}/performance/login/basic`);
    await page.waitForSelector('.chart-canvas[data-drawn="true"] canvas');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    // Every figure of every route and trace on the screen, labelled, without scrolling the table
    // sideways (a long route had left only the Route column in view).
    const cells = await page.$$eval('#routes td, #traces td', (tds) =>
      tds.map((td) => {
        const box = td.getBoundingClientRect();
        // The label as drawn before the figure (generated content, which innerText leaves out).
        const drawn = getComputedStyle(td, '::before').content;
        return { right: Math.ceil(box.right), width: box.width, route: td.classList.contains('route'), label: td.getAttribute('data-label'), drawn };
      }),
    );
    const figures = fixture.routes.length * 7 + fixture.traces.length * 5;
    expect(cells.length).toBe(figures);
    for (const cell of cells) {
      expect({ ...cell, onScreen: cell.width > 0 && cell.right <= 375 }).toMatchObject({ onScreen: true });
      if (!cell.route) expect(cell.drawn).toBe(`"${cell.label} "`);
    }
    // Each sort button and row link is a target a thumb can hit (20 and 16 px tall had been: a review).
    const targets = await page.$$eval('#routes th button, #routes td.route a, #traces td.route a', (elements) => elements.map((e) => Math.round(e.getBoundingClientRect().height)));
    expect(targets.length).toBe(7 + fixture.routes.length + fixture.traces.length);
    for (const height of targets) expect(height).toBeGreaterThanOrEqual(24);
    // So is every other control: the traces' filters, the ranges, the sign-out (the errors-only
    // checkbox had been 13 px, its label 17: a review). A link inside a sentence is exempt.
    const small = await page.$$eval('a, button, input:not([type="hidden"]), select, label', (elements) =>
      elements
        .filter((e) => e.getBoundingClientRect().width > 0 && !(e.tagName === 'A' && e.closest('p')))
        .map((e) => ({ control: `${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''} ${(e.textContent ?? '').trim().slice(0, 24)}`, height: Math.round(e.getBoundingClientRect().height) }))
        .filter(({ height }) => height < 24),
    );
    expect(small).toEqual([]);
    // Filtered to a long route: the filter in the bar is cut to fit, its ✕ in view (it had widened
    // the page and made the sticky bar a third of the screen); every Resolve button in view.
    const long = '/api/v2/organisations/:orgId/projects/:projectId/environments/:envId/deployments';
    await page.goto(`${base}/performance?route=${encodeURIComponent(long)}`);
    await page.waitForSelector('.route-filter');
    const bar = await page.evaluate(() => ({
      overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
      position: getComputedStyle(document.querySelector('.top')!).position,
      filterRight: document.querySelector('.route-filter')!.getBoundingClientRect().right,
      resolveRight: Math.max(...[...document.querySelectorAll('#alerts button[type="submit"]')].map((b) => b.getBoundingClientRect().right)),
    }));
    expect(bar.overflow).toBeLessThanOrEqual(0);
    expect(bar.filterRight).toBeLessThanOrEqual(375);
    expect(bar.resolveRight).toBeLessThanOrEqual(375);
    // Several lines tall on a phone: it scrolls away with the page rather than cover a third of it.
    expect(bar.position).toBe('static');
    await context.close();
  });

  test.each([667, 768, 801, 900, 1000])('at %i px (a phone on its side, a tablet): every route\'s and trace\'s figures in view, no sideways scroll', async (width) => {
    // Between the phone's stacked rows and a desktop's room, the seven columns had run off the
    // screen from p50 on, in a table scrolled sideways (a review).
    const context = await browser.newContext({ viewport: { width, height: 800 }, httpCredentials: { username: 'admin', password: 's3cret' } });
    const page = await context.newPage();
    await page.goto(`${base}/performance/login/basic`);
    await page.waitForSelector('.chart-canvas[data-drawn="true"] canvas');
    const seen = await page.evaluate(() => ({
      overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
      scrolled: [...document.querySelectorAll('#routes, #traces')].map((panel) => [...panel.querySelectorAll('*')].filter((e) => e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX !== 'visible').length),
      right: Math.max(...[...document.querySelectorAll('#routes td, #traces td')].map((td) => td.getBoundingClientRect().right)),
      cells: document.querySelectorAll('#routes td, #traces td').length,
    }));
    expect(seen.cells).toBe(fixture.routes.length * 7 + fixture.traces.length * 5);
    expect(seen).toMatchObject({ overflow: 0, scrolled: [0, 0] });
    expect(seen.right).toBeLessThanOrEqual(width);
    await context.close();
  });

  test('with a keyboard and a screen reader: the focus stays put through a refresh, controls and charts say what they are, a new alert is announced (a review)', async () => {
    fixture.source.resolved.length = 0; // an alert with a Resolve button (an earlier test resolved it)
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, httpCredentials: { username: 'admin', password: 's3cret' } });
    const page = await context.newPage();
    await page.goto(`${base}/performance/login/basic`);
    await page.waitForFunction(() => document.querySelectorAll('.chart-canvas[data-drawn="true"]').length >= 5);
    expect(await page.title()).toBe('shop · 1h · Shop performance');
    expect(await page.locator('h1').count()).toBe(1);
    /** Waits until the panel has been drawn again by a live refresh (every second here). */
    const refreshed = async (id: string) => {
      await page.evaluate((panel) => document.getElementById(panel)!.setAttribute('data-before', ''), id);
      await page.waitForFunction((panel) => !document.getElementById(panel)!.hasAttribute('data-before'), id);
    };
    // A route's link, a sort button and an alert's Resolve keep the focus (it had gone to the panel,
    // and the next Tab started the panel over).
    await page.keyboard.press('Tab');
    for (const [panel, selector] of [['routes', '#routes td.route a'], ['routes', '#sort-p95'], ['alerts', '#alerts form button']] as const) {
      await page.focus(selector);
      const before = await page.evaluate(() => document.activeElement!.outerHTML);
      await refreshed(panel);
      expect(await page.evaluate(() => document.activeElement!.outerHTML)).toBe(before);
      expect(await page.evaluate((p) => document.getElementById(p)!.contains(document.activeElement), panel)).toBe(true);
    }
    // A sort button shows its focus (`all: unset` had taken the ring).
    await page.focus('#sort-p50');
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle)).toBe('solid');
    // Named for what they do; the trace links by their time and duration, the Live button once.
    expect(await page.getAttribute('#alerts form button', 'aria-label')).toBe(`Resolve High p95 on ${HOSTILE.path}`);
    expect(await page.getAttribute('#traces td.route a', 'aria-label')).toMatch(/^GET \/<script>alert\(1\)<\/script>, 120 ms, at /);
    expect(await page.getAttribute('[data-live-toggle]', 'aria-label')).toBe('Live refresh');
    // Each chart, in words: its caption, each series' latest and highest value.
    const charts = await page.$$eval('.chart-canvas', (els) => els.map((el) => [el.getAttribute('role'), el.getAttribute('aria-label')]));
    expect(charts.length).toBeGreaterThanOrEqual(5);
    for (const [role, label] of charts) expect([role, label]).toEqual(['img', expect.stringMatching(/^.+\. .+: (latest .+, highest .+|no data)/)]);
    expect(charts.find(([, label]) => label!.startsWith('Latency'))![1]).toMatch(/^Latency \(ms\)\. p50: latest 20 at .+, highest 20 at .+; p95: latest 95 at .+, highest 95 at .+; p99: latest 210/);
    // A rule that starts firing is said once by the page's live region.
    fixture.alerts.push({ id: 'a3', name: 'Checkout down', severity: 'critical', state: 'firing', value: 1, threshold: 0.5, startedAt: Date.now() });
    await page.waitForFunction(() => document.querySelector('[data-announce]')!.textContent === 'Alert firing: Checkout down', undefined, { timeout: 10_000 });
    fixture.alerts.pop();
    await context.close();
  });

  // In the browser's zone, unlabelled, the charts showed another hour (another day at Kolkata late in
  // the UTC evening) than the page's "Z" times; numbers took the browser's locale ("1,2" beside "2.08 ms").
  test.each([['Asia/Kolkata', 'de-DE'], ['America/St_Johns', 'ar-EG']])('charts in %s, %s: times in UTC and numbers as the page writes them (a review)', async (timezoneId, locale) => {
    const context = await browser.newContext({ timezoneId, locale, viewport: { width: 1280, height: 900 }, httpCredentials: { username: 'admin', password: 's3cret' } });
    const page = await context.newPage();
    await page.goto(`${base}/performance/login/basic`);
    const chart = page.locator('[data-chart="throughput"][data-drawn="true"]');
    await chart.locator('canvas').waitFor();
    const timeseries = await fixture.source.timeseries('shop', 'throughput', { from: 0, to: 0 }, {});
    const last = timeseries.t[1]!;
    const utc = new Date(last * 1000).toISOString();
    expect(await chart.getAttribute('aria-label')).toBe(`Requests/s. rps: latest 1.2 at ${utc.slice(11, 16)}Z, highest 1.2 at ${utc.slice(11, 16)}Z.`);
    // The cursor at the chart's right edge: the legend reads the last bucket.
    const over = chart.locator('.u-over');
    const box = (await over.boundingBox())!;
    await page.mouse.move(box.x + box.width - 1, box.y + box.height / 2);
    const values = await chart.locator('.u-legend .u-value').allTextContents();
    expect(values).toEqual([`${utc.slice(0, 10)} ${utc.slice(11, 19)}Z`, '1.2']);
    await context.close();
  });

  test('sign-in refused: the key field is focused, invalid and described by the error; no range links before it', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${base}/performance`);
    expect(await page.locator('.ranges a').count()).toBe(0);
    await page.fill('input[name="apiKey"]', 'wrong-key');
    await Promise.all([page.waitForLoadState(), page.click('button[type="submit"]')]);
    await page.waitForSelector('#sign-in-error');
    const field = await page.evaluate(() => {
      const active = document.activeElement as HTMLInputElement;
      return { name: active.name, invalid: active.getAttribute('aria-invalid'), describedBy: document.getElementById(active.getAttribute('aria-describedby') ?? '')?.textContent };
    });
    expect(field).toEqual({ name: 'apiKey', invalid: 'true', describedBy: expect.stringMatching(/.+/) });
    await context.close();
  });

  test.each(['light', 'dark'] as const)('text holds 4.5:1 against its background (%s): errors, the current range, badges (a review measured 2.6–4.4)', async (colorScheme) => {
    const context = await browser.newContext({ colorScheme, httpCredentials: { username: 'admin', password: 's3cret' } });
    const page = await context.newPage();
    await page.goto(`${base}/performance/login/basic`);
    await page.waitForSelector('#routes td.bad');
    const ratios = await page.evaluate(() => {
      const rgb = (c: string) => (c.match(/[\d.]+/g) ?? []).slice(0, 3).map(Number);
      const lum = (c: string) => {
        const [r, g, b] = rgb(c).map((v) => v / 255).map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
        return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
      };
      /** The first background up the tree that is not transparent. */
      const background = (el: Element | null): string => {
        for (; el; el = el.parentElement) {
          const c = getComputedStyle(el).backgroundColor;
          if (!c.startsWith('rgba(0, 0, 0, 0)') && c !== 'transparent') return c;
        }
        return 'rgb(255, 255, 255)';
      };
      const ratio = (selector: string) => {
        const el = document.querySelector(selector)!;
        const [a, b] = [lum(getComputedStyle(el).color), lum(background(el))].sort((x, y) => y - x);
        return [selector, Math.round(((a! + 0.05) / (b! + 0.05)) * 100) / 100] as const;
      };
      return ['#routes td.bad', '.ranges a[aria-current="page"]', '.alert.firing .badge', '#routes td.route a', '.tile .value'].map(ratio);
    });
    for (const [selector, ratio] of ratios) expect({ selector, ok: ratio >= 4.5, ratio }).toMatchObject({ selector, ok: true });
    await context.close();
  });
});
