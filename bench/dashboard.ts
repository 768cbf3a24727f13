// Dashboard benchmark: bytes of browser code sent (gzip) and the render time of the main page for
// 50 routes, next to the floor of rendering an empty page in the same run.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RouteRow } from '../src/core/dashboard/data.ts';
import { ALL_FEATURES, type ViewContext } from '../src/core/dashboard/view-context.ts';
import { dashboardViews } from '../src/views/index.ts';
import { fixedSource } from '../test/support/fixed-source.ts';

const PUBLIC = join(import.meta.dir, '..', 'public');
const assets = ['vendor/htmx.min.js', 'vendor/uPlot.iife.min.js', 'vendor/uPlot.min.css', 'dashboard.js', 'dashboard.css'];
let total = 0;
console.log('bench/dashboard.ts — assets as sent (gzip level 6):');
for (const name of assets) {
  const bytes = Bun.gzipSync(readFileSync(join(PUBLIC, name))).length;
  total += bytes;
  console.log(`  ${name.padEnd(26)} ${(bytes / 1024).toFixed(1).padStart(6)} KiB`);
}
console.log(`  total                      ${(total / 1024).toFixed(1).padStart(6)} KiB (target < 100 KiB)`);

const now = Date.now();
const { source } = fixedSource(now);
const window = { from: now - 86_400_000, to: now };
const ctx: ViewContext = { base: '/performance', assets: '', title: 'bench', app: 'shop', apps: ['shop'], range: '24h', refreshMs: 5000, csrf: 'x', features: ALL_FEATURES };
const base = await source.routes('shop', window, 'requests', 1);
const routes: RouteRow[] = Array.from({ length: 50 }, (_, i) => ({ ...base[0]!, route: `/route-${i}/:id` }));
const model = {
  summary: await source.summary('shop', window, {}), live: await source.live('shop', {}), routes, sort: 'requests' as const, alerts: await source.alerts('shop'),
  traces: Array.from({ length: 50 }, () => ({ traceId: 'a'.repeat(32), name: 'GET /x', startTime: now, duration: 12, spanCount: 3, error: false })),
  traceFilter: {}, instances: [{ instance: 'host-1:shop', pid: 4242, lastSeen: now, sending: true }], hasData: true,
};
const empty = { ...model, routes: [], traces: [], alerts: { alerts: [] } };
const time = async (fn: () => unknown, n = 200) => {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    samples.push(performance.now() - t);
  }
  return samples.sort((a, b) => a - b)[Math.floor(n / 2)]!;
};
const full = await time(() => dashboardViews.page(ctx, model));
const floor = await time(() => dashboardViews.page(ctx, empty));
const size = String(await dashboardViews.page(ctx, model)).length;
console.log(`main page, 50 routes + 50 traces: ${full.toFixed(3)} ms median (empty page: ${floor.toFixed(3)} ms, ratio ${(full / floor).toFixed(1)}×), ${(size / 1024).toFixed(0)} KiB HTML`);
