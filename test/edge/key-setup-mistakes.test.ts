// The edge against the mistakes an operator makes setting it up (found by a newcomer's review): keys
// listed one a line, an entry written key:app, a dashboard key with a line break, and an app whose
// BUN_APM_ENDPOINT is the dashboard's URL. Each either works or is said as what it is; none locks
// the operator out or turns a key into an app name.
import { afterAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalEdge } from '../../scripts/local-edge.ts';
import { runChecks } from '../../src/plugin/cli/doctor.ts';
import { makeBatch } from '../support/batch.ts';
import { ingest, KEYS, startEdge } from './support/edge.ts';

const DASH_KEY = 'dash-key-0123456789abcdef';
const edges: LocalEdge[] = [];
afterAll(async () => {
  for (const edge of edges) await edge.dispose();
});

async function start(bindings: Record<string, string>): Promise<LocalEdge> {
  const edge = await startEdge({ bindings });
  edges.push(edge);
  return edge;
}

describe('keys as operators write them', () => {
  test('INGEST_KEYS one entry a line: every app ingests with its own key, keys with spaces and colons as before', async () => {
    // An app named like a key's prefix, a passphrase key, a key holding " : ": all as they were.
    const edge = await start({ INGEST_KEYS: `shop:${KEYS.shopIngest}\nblog : ${KEYS.blogIngest}\r\nread_api:correct horse battery staple,extra:abc : def\n` });
    for (const [app, key] of [['shop', KEYS.shopIngest], ['blog', KEYS.blogIngest], ['read_api', 'correct horse battery staple'], ['extra', 'abc : def']] as const) {
      const batch = makeBatch();
      const response = await ingest(edge, { ...batch, identity: { ...batch.identity, app } }, { key });
      expect(`${app}: ${response.status}`).toBe(`${app}: 202`);
    }
    // The list's parts are no keys of their own.
    expect((await ingest(edge, makeBatch(), { key: `${KEYS.shopIngest} blog` })).status).toBe(401);
  }, 30_000);

  test('entries separated by spaces are refused by position (the first key had swallowed the rest)', async () => {
    const edge = await start({ INGEST_KEYS: `shop:${KEYS.shopIngest} blog:${KEYS.blogIngest}` });
    const response = await ingest(edge, makeBatch());
    const body = await response.text();
    expect(response.status).toBe(503);
    expect(JSON.parse(body).error.message).toBe('INGEST_KEYS: entry 1 holds a second app:key after a space; separate entries with commas or line breaks');
    expect(body).not.toContain(KEYS.blogIngest);
  }, 30_000);

  test('an entry written key:app is refused, named by position, the key not echoed (it had become an app name shown on the dashboard)', async () => {
    const edge = await start({ INGEST_KEYS: `shop:${KEYS.shopIngest},ing_Secret0123456789abcdef:blog` });
    const response = await ingest(edge, makeBatch());
    const body = await response.text();
    expect(response.status).toBe(503);
    expect(JSON.parse(body).error).toEqual({ code: 'config_error', message: 'INGEST_KEYS: entry 2 names a key where its app goes: the form is app:key' });
    expect(body).not.toContain('Secret0123456789');
  }, 30_000);

  test('a DASHBOARD_API_KEY with a line break signs in by the key, in the header and the form alike', async () => {
    const edge = await start({ DASHBOARD_API_KEY: `${DASH_KEY}\n` });
    const page = await fetch(new URL('/performance', edge.url), { headers: { 'x-api-key': DASH_KEY }, redirect: 'manual' });
    expect(page.status).toBe(200);
    const form = await fetch(new URL('/performance/login', edge.url));
    const csrf = /name="csrf" value="([^"]+)"/.exec(await form.text())?.[1];
    const cookie = form.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    const signIn = await fetch(new URL('/performance/login', edge.url), {
      method: 'POST', redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie, origin: new URL(edge.url).origin },
      body: new URLSearchParams({ apiKey: `${DASH_KEY} `, ...(csrf && { csrf }) }),
    });
    expect(signIn.status).toBe(303);
  }, 30_000);
});

describe('BUN_APM_ENDPOINT set to the dashboard URL', () => {
  test('the app and doctor are told, and their ingest key never counts as a failed sign-in', async () => {
    const edge = await start({ DASHBOARD_API_KEY: DASH_KEY });
    const dashboardUrl = new URL('/performance', edge.url).href;
    // Six batches and a doctor run at the dashboard's URL, more than the five failed sign-ins allowed.
    for (let i = 0; i < 6; i++) {
      const response = await fetch(`${dashboardUrl}/v1/ingest`, { method: 'POST', headers: { authorization: `Bearer ${KEYS.shopIngest}`, 'content-type': 'application/json' }, body: JSON.stringify(makeBatch()) });
      expect(response.status).toBe(404);
      expect(((await response.json()) as any).error.message).toBe(`/performance/v1/ingest is under the dashboard (/performance): BUN_APM_ENDPOINT is the edge's base URL, ${new URL(edge.url).origin}`);
    }
    const dir = mkdtempSync(join(tmpdir(), 'bun-apm-dash-endpoint-'));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'shop' }));
    writeFileSync(join(dir, '.env'), `BUN_APM_ENDPOINT=${dashboardUrl}\nBUN_APM_INGEST_KEY=${KEYS.shopIngest}\n`);
    const check = (await runChecks(dir, {})).find((c) => c.label === 'edge')!;
    expect(check.ok).toBe(false);
    expect(check.detail).toContain("BUN_APM_ENDPOINT is the edge's base URL");
    // The operator still signs in with the right key.
    const page = await fetch(dashboardUrl, { headers: { 'x-api-key': DASH_KEY }, redirect: 'manual' });
    expect(page.status).toBe(200);
  }, 30_000);
});
