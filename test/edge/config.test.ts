// A var or secret that can't be used answers 503 config_error (with a Retry-After: an outage the
// operator ends, so apps keep their data) naming it — and never echoes a key.
import { afterAll, describe, expect, test } from 'bun:test';
import type { LocalEdge } from '../../scripts/local-edge.ts';
import { makeBatch } from '../support/batch.ts';
import { api, ingest, KEYS, startEdge } from './support/edge.ts';

const edges: LocalEdge[] = [];

afterAll(async () => {
  for (const edge of edges) await edge.dispose();
});

async function start(bindings: Record<string, string>): Promise<LocalEdge> {
  const edge = await startEdge({ bindings });
  edges.push(edge);
  return edge;
}

describe('configuration errors', () => {
  test('a malformed INGEST_KEYS entry is named by position, its text is not echoed', async () => {
    const edge = await start({ INGEST_KEYS: `shop:${KEYS.shopIngest},my-secret-without-app` });
    const response = await ingest(edge, makeBatch());
    const body: any = await response.json();
    expect(response.status).toBe(503);
    expect(body.error).toEqual({ code: 'config_error', message: 'INGEST_KEYS: entry 2 is not app:key (app: 1..64 of A-Z a-z 0-9 . _ -)' });
    expect(JSON.stringify(body)).not.toContain('my-secret');
  });

  test('one key for two apps is refused', async () => {
    const edge = await start({ INGEST_KEYS: 'shop:same-key,blog:same-key' });
    const body: any = await (await ingest(edge, makeBatch(), { key: 'same-key' })).json();
    expect(body.error.message).toBe('INGEST_KEYS: apps shop and blog share a key; give each app its own');
    // The health check says so too: it had answered 200 while every app was refused (a review).
    const health = await fetch(new URL('/healthz', edge.url));
    expect(health.status).toBe(503);
    expect(((await health.json()) as { error: { message: string } }).error.message).toBe('INGEST_KEYS: apps shop and blog share a key; give each app its own');
  });

  test('a var that is not a number is named', async () => {
    const edge = await start({ ROUTE_CAP: 'lots' });
    const answer = await api(edge, '/api/v1/apps/shop/summary');
    expect(answer.status).toBe(503);
    expect(answer.body.error).toEqual({ code: 'config_error', message: 'routeCap (var ROUTE_CAP): expected a number from 1 to 100000 (rounded down), got "lots"' });
  });

  test('a dashboard refresh that is not a number of milliseconds is named, on the dashboard and the API alike', async () => {
    const edge = await start({ DASHBOARD_REFRESH_MS: 'soon', DASHBOARD_API_KEY: 'dash-key-0123456789' });
    const message = 'dashboardRefreshMs (var DASHBOARD_REFRESH_MS): expected an integer from 500 to 86400000, got "soon"';
    const page = await fetch(new URL('/performance', edge.url), { headers: { 'x-api-key': 'dash-key-0123456789' } });
    expect(page.status).toBe(503);
    expect(page.headers.get('retry-after')).toBe('60');
    expect(((await page.json()) as any).error).toEqual({ code: 'config_error', message });
    const answer = await api(edge, '/api/v1/apps/shop/summary');
    expect(answer.body.error).toEqual({ code: 'config_error', message });
    // A browser is shown the same as a page, not bare JSON (a review).
    const shown = await fetch(new URL('/performance', edge.url), { headers: { accept: 'text/html,application/xhtml+xml', 'sec-fetch-mode': 'navigate' } });
    expect([shown.status, shown.headers.get('retry-after'), shown.headers.get('content-type')]).toEqual([503, '60', 'text/html; charset=utf-8']);
    expect(await shown.text()).toContain(message.replaceAll('"', '&quot;'));
  });

  test('a dashboard without credentials is a page for a browser, JSON for a program', async () => {
    const edge = await start({});
    const message = 'the dashboard needs DASHBOARD_API_KEY or DASHBOARD_USERNAME + DASHBOARD_PASSWORD';
    const shown = await fetch(new URL('/performance', edge.url), { headers: { accept: 'text/html', 'sec-fetch-mode': 'navigate' } });
    expect([shown.status, shown.headers.get('content-type')]).toEqual([503, 'text/html; charset=utf-8']);
    expect(await shown.text()).toContain(message);
    const program = await fetch(new URL('/performance', edge.url));
    expect(((await program.json()) as any).error).toEqual({ code: 'config_error', message });
  });
});
