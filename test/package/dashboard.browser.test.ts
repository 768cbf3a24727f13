// The in-process dashboard of the installed package, in apps whose own JSX settings differ (none,
// React's, Preact's, Hono's, classic `h`, preserve): the same page, drawn with its charts in
// Chromium, under `bun run`, `bun --preload`, `bun test` and a `bun build --compile` binary.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, paintedPixelsPerChart, watchForTrouble } from '../support/browser.ts';
import { Background, consumerEnv, freePort, installApp, pinned, runOk } from './support/consumer.ts';

const USERS = 30;
const MISSES = 5;

const SERVER = `import { instrument, performanceDashboard, performanceMonitor } from 'bun-apm/middleware';

const monitor = performanceMonitor({ sampleRate: 1 });
const dashboard = performanceDashboard({ path: '/performance', app: 'shop', refreshInterval: 1000, monitor, authentication: { enabled: false } });
const app = (req: Request) => new URL(req.url).pathname.startsWith('/users/') ? Response.json({ ok: true }) : new Response('not found', { status: 404 });
Bun.serve({ hostname: '127.0.0.1', port: Number(process.env.PORT), fetch: instrument(app, dashboard, monitor) });
`;

/** Run by \`bun test\` inside the app: the page as a test runner renders it. */
const PAGE_TEST = `import { expect, test } from 'bun:test';
import { performanceDashboard } from 'bun-apm/middleware';

test('the dashboard page renders', async () => {
  const dashboard = performanceDashboard({ authentication: { enabled: false } });
  const page = await (await dashboard(new Request('http://x/performance'), async () => new Response('app'))).text();
  console.log('PAGE-LENGTH', page.length);
  expect(page.startsWith('<!doctype html>')).toBe(true);
  expect(page).toContain('class="chart-canvas"');
});
`;

interface Variant {
  name: string;
  tsconfig?: Record<string, unknown>;
  dependencies?: string[];
  /** How the server starts. */
  start: 'run' | 'preload' | 'compiled';
}

const VARIANTS: Variant[] = [
  { name: 'no-tsconfig', start: 'run' },
  { name: 'react-jsx', tsconfig: { jsx: 'react-jsx' }, start: 'run' },
  { name: 'preact', tsconfig: { jsx: 'react-jsx', jsxImportSource: 'preact' }, start: 'preload' },
  { name: 'hono-jsx', tsconfig: { jsx: 'react-jsx', jsxImportSource: 'hono/jsx' }, dependencies: [pinned('hono')], start: 'run' },
  { name: 'classic-h', tsconfig: { jsx: 'react', jsxFactory: 'h', jsxFragmentFactory: 'Fragment' }, start: 'preload' },
  { name: 'preserve', tsconfig: { jsx: 'preserve' }, start: 'run' },
  { name: 'react-jsx-compiled', tsconfig: { jsx: 'react-jsx' }, start: 'compiled' },
];

let browser: Browser;
const tagSequences = new Map<string, string>();

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

/** The page's element structure, without text or attribute values (times and numbers differ). */
function tagSequence(html: string): string {
  return [...html.matchAll(/<\/?([a-zA-Z][a-zA-Z0-9-]*)/g)].map((m) => m[0]).join(' ');
}

describe.each(VARIANTS)('$name', (variant) => {
  test(`the dashboard draws its charts and counts what was sent (${variant.start})`, async () => {
    const dir = await installApp({ name: `dash-${variant.name}`, tsconfig: variant.tsconfig, dependencies: variant.dependencies, files: { 'server.ts': SERVER, 'page.test.ts': PAGE_TEST } });
    if (variant.start === 'compiled') await runOk([process.execPath, 'build', '--compile', 'server.ts', '--outfile', 'server'], dir);
    if (variant.name === 'react-jsx') {
      const tested = await runOk([process.execPath, 'test', 'page.test.ts'], dir);
      expect(tested.err).toContain('1 pass');
    }
    const port = freePort();
    const command = { run: [process.execPath, 'run', 'server.ts'], preload: [process.execPath, '--preload', 'bun-apm/preload', 'server.ts'], compiled: ['./server'] }[variant.start];
    const server = new Background(command, dir, consumerEnv({ PORT: String(port) }));
    try {
      await server.waitForPort(port);
      const base = `http://127.0.0.1:${port}`;
      for (let i = 0; i < USERS; i++) await (await fetch(`${base}/users/${i}`)).arrayBuffer();
      for (let i = 0; i < MISSES; i++) await (await fetch(`${base}/nope`)).arrayBuffer();

      const html = await (await fetch(`${base}/performance`)).text();
      expect(html.startsWith('<!doctype html>')).toBe(true);
      expect(html).not.toContain('[object Object]');
      tagSequences.set(variant.name, tagSequence(html));

      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const trouble = watchForTrouble(page);
      expect((await page.goto(`${base}/performance`))!.status()).toBe(200);
      await page.waitForFunction(() => document.querySelectorAll('.chart-canvas[data-drawn="true"]').length >= 4, undefined, { timeout: 15_000 });
      for (const painted of (await paintedPixelsPerChart(page)).slice(0, 4)) expect(painted).toBeGreaterThan(100);
      const row = page.locator('#routes tr', { has: page.locator('span', { hasText: /^\/users\/:id$/ }) }).first();
      expect(await row.locator('[data-col="requests"]').textContent()).toBe(String(USERS));
      if (variant.name === 'no-tsconfig') await expectExportMatches(page);
      expect(trouble.problems).toEqual([]);
      await page.close();
    } finally {
      await server.stop();
    }
  }, 90_000);
});

/** The header's Export JSON link, clicked: a file whose counts are the requests sent (the dashboard's own left out). */
async function expectExportMatches(page: Page): Promise<void> {
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 15_000 }), page.locator('a.export').click()]);
  expect(download.suggestedFilename()).toMatch(/^bun-apm-shop-1h-\d{8}T\d{4}Z\.json$/);
  const file = JSON.parse(await Bun.file((await download.path())!).text());
  expect([file.type, file.app, file.range, file.summary.requests, file.summary.clientErrors]).toEqual(['bun-apm.dashboard-view', 'shop', '1h', USERS + MISSES, MISSES]);
  const requests = Object.fromEntries(file.routes.map((row: { route: string; requests: number }) => [row.route, row.requests]));
  expect(requests['/users/:id']).toBe(USERS);
  const statuses = file.charts.status as Record<string, Array<number | null>>;
  expect(['2xx', '4xx'].map((k) => statuses[k]!.reduce<number>((sum, n) => sum + (n ?? 0), 0))).toEqual([USERS, MISSES]);
}

test('every host setting gives the same page structure', () => {
  expect(tagSequences.size).toBe(VARIANTS.length);
  const reference = tagSequences.get('no-tsconfig')!;
  expect(reference.length).toBeGreaterThan(500);
  for (const [name, sequence] of tagSequences) expect(sequence, name).toBe(reference);
});
