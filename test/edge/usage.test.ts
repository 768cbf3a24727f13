// The cost model at the edge, in workerd: every store request counted by kind (ingest per
// instance, reads, cron visits, alarms), SQLite rows and storage, per UTC day; the ingest answer
// carries today's use and the caps; warnings before a free-plan quota is reached; counts survive a
// restart; a bad PLAN is named.
import { afterAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalEdge } from '../../scripts/local-edge.ts';
import { RollupTable } from '../../src/core/rollup.ts';
import { makeBatch } from '../support/batch.ts';
import { api, apiOk, ingest, ingestOk, KEYS, startEdge } from './support/edge.ts';

const DAY = 86_400_000;
const edges: LocalEdge[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const edge of edges) await edge.dispose();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function start(bindings: Record<string, string> = {}, persistDir?: string): Promise<LocalEdge> {
  const edge = await startEdge({ bindings, ...(persistDir && { persistDir }) });
  edges.push(edge);
  return edge;
}

function from(instance: string, overrides: Record<string, unknown> = {}): any {
  const batch = makeBatch(Date.now());
  return { ...batch, identity: { ...batch.identity, instance }, ...overrides };
}

/**
 * A batch of `n` rollup cells, one request each in `n` different minutes: each cell is its own row
 * (and an index entry) when stored. Detail records would not do: they are stored a chunk per minute.
 */
function withCells(instance: string, n: number): any {
  const batch = from(instance);
  const table = new RollupTable();
  const minute = Date.now() - (Date.now() % 60_000);
  for (let i = 0; i < n; i++) table.record(minute - i * 60_000, 'GET', '/users/:id', 200, 10 + i, 100);
  return { ...batch, rollups: table.drain(), samples: [], spans: [] };
}

describe('usage', () => {
  test('each kind of store request is counted where it happens, per instance for ingest', async () => {
    const edge = await start();
    const a = from('web-a:1');
    await ingestOk(edge, a);
    await ingestOk(edge, from('web-a:1'));
    await ingestOk(edge, withCells('web-b:2', 500));
    // A retried batch is a request too (answered 200 duplicate), and counts no records.
    const again = await ingest(edge, a);
    expect(again.status).toBe(200);
    const duplicate: any = await again.json();
    expect(duplicate.usage.quotas.find((q: any) => q.kind === 'storeRequests').used).toBe(4);
    // The store decodes the body: a refused one is a store request too, of no instance.
    expect((await ingest(edge, { ...from('web-a:1'), rollups: 'nope' })).status).toBe(422);
    // Refused by the Worker before the store (a wrong key): not counted here; Cloudflare counts it.
    expect((await ingest(edge, from('web-a:1'), { key: 'wrong-key-0123456789' })).status).toBe(401);

    for (let i = 0; i < 3; i++) await apiOk(edge, '/api/v1/apps/shop/summary');
    await apiOk(edge, '/api/v1/apps/shop/routes');
    for (let i = 0; i < 2; i++) {
      const tick = await fetch(new URL(`/__scheduled?cron=*+*+*+*+*&time=${Date.now() + i * 60_000}`, edge.url));
      expect(tick.status).toBe(200);
    }

    const report = await apiOk(edge, '/api/v1/apps/shop/usage');
    const today = report.days[0];
    expect(today.day).toBe(Math.floor(report.now / DAY) * DAY);
    expect(today.ingestRequests).toBe(5);
    // 3 summaries + 1 routes + this usage read itself.
    expect(today.reads).toBe(5);
    expect(today.ticks).toBe(2);
    const events = (b: any) => b.rollups.length + b.samples.length + b.spans.length + b.profiles.length;
    expect(today.events).toBe(2 * events(from('x')) + events(withCells('x', 500)));
    const byName = Object.fromEntries(report.instances.map((i: any) => [i.instance, i]));
    expect(Object.keys(byName).sort()).toEqual(['web-a:1', 'web-b:2']);
    expect(byName['web-a:1'].ingestRequests).toBe(3);
    expect(byName['web-b:2'].ingestRequests).toBe(1);
    // An ingest writes its batch's id and its log row; its cells are written by the next fold (the
    // first summary here), for the app: every stored cell is at least one row. The duplicate wrote nothing.
    expect(byName['web-b:2'].rowsWritten).toBe(2);
    // The store's first batch also wrote its two new routes and the app's name.
    expect(byName['web-a:1'].rowsWritten).toBe(2 * 2 + 2 + 1);
    expect(today.rowsWritten).toBeGreaterThanOrEqual(500);
    expect(byName['web-b:2'].ingestBytes).toBeGreaterThan(byName['web-a:1'].ingestBytes / 3);
    expect(today.rowsRead).toBeGreaterThan(0);
    expect(today.storedBytes).toBeGreaterThan(0);
    // wrangler.toml says PLAN = "free": the limits come with the report.
    expect(report.plan).toBe('free');
    expect(report.limits.daily.storeRequests).toBe(100_000);
    const quotas = Object.fromEntries(report.quotas.map((q: any) => [q.kind, q]));
    expect(quotas.storeRequests.used).toBe(5 + 5 + 2);
    expect(quotas.workerRequests.used).toBe(5 + 5);
    expect(report.warnings).toEqual([]);
  }, 60_000);

  test('the ingest answer carries the caps and today\'s use; the account sums apps and the cron', async () => {
    const edge = await start();
    const answer = await ingestOk(edge, from('web-1:1'));
    expect(answer.limits).toEqual(expect.objectContaining({ maxBodyBytes: 5 * 1024 * 1024, maxDecompressedBytes: 8 * 1024 * 1024 }));
    expect(answer.usage.plan).toBe('free');
    expect(answer.usage.quotas.map((q: any) => q.kind)).toEqual(['workerRequests', 'storeRequests', 'rowsWritten', 'rowsRead', 'storedBytes']);
    await ingestOk(edge, { ...from('blog-1:1'), identity: { ...from('blog-1:1').identity, app: 'blog' } }, { key: KEYS.blogIngest });
    const account = await apiOk(edge, '/api/v1/usage', KEYS.allRead);
    expect(account.apps.map((a: any) => a.app)).toEqual(['blog', 'shop']);
    const worker = account.quotas.find((q: any) => q.kind === 'workerRequests');
    // Each app's usage report is one read of its store (counted before it answers), plus its ingest.
    expect(worker.used).toBe(2 * (1 + 1) + account.cronInvocations);
    expect(account.cronInvocations).toBe(Math.floor((account.now % DAY) / 3_600_000) + 1);
    // A key that reads one app sums only that app.
    const shopOnly = await apiOk(edge, '/api/v1/usage', KEYS.shopRead);
    expect(shopOnly.apps.map((a: any) => a.app)).toEqual(['shop']);
    expect((await api(edge, '/api/v1/apps/blog/usage', KEYS.shopRead)).status).toBe(404);
    expect((await api(edge, '/api/v1/apps/shop/usage?days=0')).status).toBe(400);
  }, 60_000);

  test('a quota heading past 80 % by midnight is warned of in the ingest answer and the report', async () => {
    const edge = await start();
    const store = await edge.store('shop');
    // The store's clock at 00:30 UTC today: the rate is taken over one hour, so 24× what was written.
    const now = Date.now();
    await store.setClockOffset(Math.floor(now / DAY) * DAY + 30 * 60_000 - now);
    for (let i = 0; i < 3; i++) await ingestOk(edge, withCells(`web-${i}:1`, 1_500));
    // A read folds the three batches into the tables; the next ingest's answer counts their rows.
    await apiOk(edge, '/api/v1/apps/shop/summary');
    const answer = await ingestOk(edge, from('web-3:1'));
    const rows = answer.usage.quotas.find((q: any) => q.kind === 'rowsWritten');
    expect(rows.used).toBeGreaterThan(4_500);
    expect(rows.projected).toBe(rows.used * 24);
    expect(answer.usage.warnings.map((w: any) => w.kind)).toContain('rowsWritten');
    expect(answer.usage.warnings.find((w: any) => w.kind === 'rowsWritten').message).toMatch(/^this app used [\d,]+ of the free plan's 100,000 SQLite rows written a day/);
    const report = await apiOk(edge, '/api/v1/apps/shop/usage');
    expect(report.warnings.map((w: any) => w.kind)).toContain('rowsWritten');
  }, 60_000);

  test('counts survive a restart once written; a new UTC day starts from zero and keeps the old one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bun-apm-usage-'));
    dirs.push(dir);
    let edge = await start({}, dir);
    await ingestOk(edge, from('web-1:1'));
    await ingestOk(edge, from('web-1:1'));
    await (await edge.store('shop')).flushUsage();
    edges.splice(edges.indexOf(edge), 1);
    await edge.dispose();
    edge = await start({}, dir);
    let report = await apiOk(edge, '/api/v1/apps/shop/usage');
    expect(report.days[0].ingestRequests).toBe(2);
    // flushUsage and this read.
    expect(report.days[0].reads).toBe(2);

    const store = await edge.store('shop');
    const now = Date.now();
    await store.setClockOffset(Math.floor(now / DAY) * DAY + DAY + 60_000 - now);
    await ingestOk(edge, from('web-2:1'));
    report = await apiOk(edge, '/api/v1/apps/shop/usage?days=2');
    expect(report.days.length).toBe(2);
    expect(report.days[0].day - report.days[1].day).toBe(DAY);
    expect(report.days[0].ingestRequests).toBe(1);
    expect(report.days[1].ingestRequests).toBe(2);
    expect(report.instances.map((i: any) => i.instance)).toEqual(['web-2:1']);
  }, 60_000);

  test('the dashboard shows it: quotas, days, instances escaped, and the warning before a quota runs out', async () => {
    const key = 'dash-key-0123456789abcdef';
    const edge = await start({ DASHBOARD_API_KEY: key });
    const page = async (app = 'shop') => {
      const response = await fetch(new URL(`/performance?app=${app}`, edge.url), { headers: { 'x-api-key': key } });
      expect(response.status).toBe(200);
      return response.text();
    };
    const hostile = '<img src=x onerror=alert(1)>:9';
    await ingestOk(edge, from(hostile));
    let html = await page();
    expect(html).toContain('aria-label="Edge usage"');
    expect(html).toContain('&lt;img src=x onerror=alert(1)');
    expect(html).not.toContain('<img');
    expect(html).toMatch(/<tr data-kind="storeRequests"><th scope="row">Durable Object requests<\/th><td class="num">\d+<\/td>/);
    // Two apps for this key: the account's table sums them with the cron.
    expect(html).toMatch(/All 2 apps and the cron \(\d+ invocations so far\)/);
    expect(html).not.toContain('role="alert"');

    const store = await edge.store('shop');
    const now = Date.now();
    await store.setClockOffset(Math.floor(now / DAY) * DAY + 30 * 60_000 - now);
    for (let i = 0; i < 3; i++) await ingestOk(edge, withCells(`web-${i}:1`, 1_500));
    await apiOk(edge, '/api/v1/apps/shop/summary');
    html = await page();
    expect(html).toContain('role="alert"');
    expect(html).toMatch(/<li data-kind="rowsWritten">this app used [\d,]+ of the free plan&#39;s 100,000 SQLite rows written a day/);
    expect(html).toMatch(/heading for \d+ % of the free plan&#39;s SQLite rows written by midnight/);
  }, 60_000);

  test('a PLAN that is neither free nor paid is named', async () => {
    const edge = await start({ PLAN: 'gold' });
    const answer = await api(edge, '/api/v1/apps/shop/usage');
    expect(answer.status).toBe(503);
    expect(answer.body.error).toEqual({ code: 'config_error', message: 'plan (var PLAN): expected one of free, paid, got "gold"' });
    const unset = await start({ PLAN: '' });
    const report = await apiOk(unset, '/api/v1/apps/shop/usage');
    expect(report.plan).toBeNull();
    expect(report.limits).toBeNull();
    expect(report.quotas.every((q: any) => q.limit === null)).toBe(true);
  }, 60_000);
});
