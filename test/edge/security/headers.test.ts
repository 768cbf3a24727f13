// Every response carries the security headers that fit it (issue 13, defect 6): pages and their
// redirects, JSON (API, dashboard data, errors of every status), static assets, at the edge (the
// real Worker and Workers static assets in workerd) and in-process (a real Bun server).
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LocalEdge } from '../../../scripts/local-edge.ts';
import { securityHeaders, type ResponseKind } from '../../../src/core/dashboard/security-headers.ts';
import { performanceDashboard } from '../../../src/middleware/index.ts';
import { ingestOk, KEYS } from '../support/edge.ts';
import { makeBatch } from '../../support/batch.ts';
import { type Answer, basicAuth, call, csrfOf, DASHBOARD_SECRETS, header, signInWithKey, startDashboardEdge } from './support.ts';

setDefaultTimeout(60_000);

let edge: LocalEdge;
let session: string;
let server: ReturnType<typeof Bun.serve>;
let local: URL;

/** The headers every response of this kind must carry, with these exact values. */
function expectHeaders(answer: Answer, kind: ResponseKind, what: string): void {
  for (const [name, value] of Object.entries(securityHeaders(kind))) {
    if (header(answer, name) !== value) throw new Error(`${what} (${answer.status}): ${name} is ${JSON.stringify(header(answer, name))}, expected ${JSON.stringify(value)}`);
  }
}

beforeAll(async () => {
  edge = await startDashboardEdge({ bindings: { ALERT_RULES: JSON.stringify([{ id: 'seen', name: 'Traffic seen', metric: 'requestRate', condition: 'gt', threshold: 0, duration: 600_000, severity: 'warning' }]) } });
  const now = Date.now();
  await ingestOk(edge, makeBatch(now));
  await (await edge.mf.getWorker()).scheduled({ cron: '* * * * *', scheduledTime: new Date(now) });
  ({ session } = await signInWithKey(edge.url));

  const dashboard = performanceDashboard({ path: '/performance', app: 'shop', authentication: { apiKey: DASHBOARD_SECRETS.DASHBOARD_API_KEY, username: 'ops', password: 'pw' } });
  dashboard.addAlert('warning', 'manual alert');
  server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: (req, srv) => dashboard(req, async () => new Response('app'), srv) });
  local = new URL(`http://127.0.0.1:${server.port}`);
});

afterAll(async () => {
  server?.stop(true);
  await edge?.dispose();
});

describe('at the edge', () => {
  test('pages and their redirects: the page policy, no-store', async () => {
    const cookie = { cookie: `bun_apm_session=${session}` };
    const form = { 'content-type': 'application/x-www-form-urlencoded', origin: edge.url.origin };
    const csrf = await csrfOf(edge.url, session);
    const alertId = /data-alert-id="([^"]+)"/.exec((await call(edge.url, '/performance?app=shop', { headers: cookie })).body)![1]!;
    const other = await signInWithKey(edge.url);
    const answers: Array<[string, () => Promise<Answer>]> = [
      ['the sign-in page (401)', () => call(edge.url, '/performance?app=shop')],
      ['the sign-in page (GET /login)', () => call(edge.url, '/performance/login')],
      ['the dashboard page', () => call(edge.url, '/performance?app=shop', { headers: cookie })],
      ['an htmx fragment', () => call(edge.url, '/performance/fragments/routes?app=shop', { headers: cookie })],
      ['a wrong key at the login form (401)', () => call(edge.url, '/performance/login', { method: 'POST', headers: form, body: 'apiKey=wrong' })],
      ['the login redirect (303)', () => call(edge.url, '/performance/login', { method: 'POST', headers: form, body: `apiKey=${DASHBOARD_SECRETS.DASHBOARD_API_KEY}` })],
      ['the basic sign-in redirect (303)', () => call(edge.url, '/performance/login/basic', { headers: { authorization: basicAuth('ops', DASHBOARD_SECRETS.DASHBOARD_PASSWORD) } })],
      ['the resolve redirect (303)', () => call(edge.url, '/performance/alerts/resolve?app=shop', { method: 'POST', headers: { ...form, ...cookie }, body: `csrf=${csrf}&id=${encodeURIComponent(alertId)}` })],
      ['the logout redirect (303)', () => csrfOf(edge.url, other.session).then((token) => call(edge.url, '/performance/logout', { method: 'POST', headers: { ...form, cookie: `bun_apm_session=${other.session}` }, body: `csrf=${token}` }))],
    ];
    const statuses: number[] = [];
    for (const [what, send] of answers) {
      const answer = await send();
      statuses.push(answer.status);
      expectHeaders(answer, 'page', what);
    }
    expect(statuses).toEqual([401, 200, 200, 200, 401, 303, 303, 303, 303]);
  });

  test('JSON of every status: the data policy (nothing may run or load), no-store', async () => {
    const ingestHeaders = { 'content-type': 'application/json', authorization: `Bearer ${KEYS.shopIngest}` };
    const cases: Array<[string, string, Parameters<typeof call>[2], number]> = [
      ['health', '/healthz', {}, 200],
      ['API summary', '/api/v1/apps/shop/summary', { headers: { 'x-api-key': KEYS.shopRead } }, 200],
      ['API without a key', '/api/v1/apps/shop/summary', {}, 401],
      ['API, another app', '/api/v1/apps/blog/summary', { headers: { 'x-api-key': KEYS.shopRead } }, 404],
      ['rules API, read key', '/api/v1/apps/shop/rules', { method: 'POST', headers: { 'x-api-key': KEYS.shopRead }, body: '{}' }, 403],
      ['unknown path', '/nope', {}, 404],
      ['wrong method', '/healthz', { method: 'DELETE' }, 405],
      ['ingest without a key', '/v1/ingest', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }, 401],
      ['ingest, bad JSON', '/v1/ingest', { method: 'POST', headers: ingestHeaders, body: '{' }, 400],
      ['ingest, declared too large', '/v1/ingest', { method: 'POST', headers: { ...ingestHeaders, 'content-length': '999999999' }, body: '' }, 413],
      ['dashboard chart data', '/performance/data/timeseries?app=shop', { headers: { cookie: `bun_apm_session=${session}` } }, 200],
      ['dashboard without credentials', '/performance/data/timeseries?app=shop', {}, 401],
      ['dashboard, limited', '/performance/fragments/summary', { headers: { 'x-api-key': 'x' } }, 401],
      ['dashboard, no such asset', '/performance/assets/nope.js', {}, 404],
      ['dashboard, cross-origin post', '/performance/alerts/resolve', { method: 'POST', headers: { origin: 'https://evil.example' } }, 403],
    ];
    for (const [what, path, options, status] of cases) {
      const answer = await call(edge.url, path, options);
      expect(`${what}: ${answer.status}`).toBe(`${what}: ${status}`);
      expectHeaders(answer, 'data', what);
      expect(header(answer, 'content-type')).toStartWith('application/json');
    }
  });

  test('static assets (served before the Worker runs): the asset headers from public/_headers', async () => {
    for (const path of ['/dashboard.js', '/dashboard.css', '/vendor/htmx.min.js', '/vendor/uPlot.iife.min.js', '/vendor/uPlot.min.css']) {
      const answer = await call(edge.url, path);
      expect(answer.status).toBe(200);
      expectHeaders(answer, 'asset', path);
    }
  });

  test('public/_headers says exactly what securityHeaders("asset") says', () => {
    const lines = readFileSync(join(import.meta.dir, '../../../public/_headers'), 'utf8').split('\n').filter((line) => /^\s+\S+:/.test(line));
    const fromFile = Object.fromEntries(lines.map((line) => [line.trim().slice(0, line.trim().indexOf(':')), line.trim().slice(line.trim().indexOf(':') + 1).trim()]));
    expect(fromFile).toEqual(securityHeaders('asset'));
  });
});

describe('in-process', () => {
  test('pages, redirects, JSON of every status and assets carry the headers of their kind', async () => {
    const form = { 'content-type': 'application/x-www-form-urlencoded', origin: local.origin };
    const login = await call(local, '/performance/login', { method: 'POST', headers: form, body: `apiKey=${DASHBOARD_SECRETS.DASHBOARD_API_KEY}` });
    const cookie = { cookie: `bun_apm_session=${login.cookies.bun_apm_session}` };
    const page = await call(local, '/performance', { headers: cookie });
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)![1]!;
    const alertId = /data-alert-id="([^"]+)"/.exec(page.body)![1]!;
    const cases: Array<[string, ResponseKind, () => Promise<Answer>, number]> = [
      ['login redirect', 'page', () => Promise.resolve(login), 303],
      ['page', 'page', () => Promise.resolve(page), 200],
      ['sign-in page', 'page', () => call(local, '/performance'), 401],
      ['resolve redirect', 'page', () => call(local, '/performance/alerts/resolve', { method: 'POST', headers: { ...form, ...cookie }, body: `csrf=${csrf}&id=${alertId}` }), 303],
      ['logout redirect', 'page', () => call(local, '/performance/logout', { method: 'POST', headers: { ...form, ...cookie }, body: `csrf=${csrf}` }), 303],
      ['chart data', 'data', () => call(local, '/performance/data/timeseries', { headers: { 'x-api-key': DASHBOARD_SECRETS.DASHBOARD_API_KEY } }), 200],
      ['unauthenticated fragment', 'data', () => call(local, '/performance/fragments/summary'), 401],
      ['basic challenge', 'data', () => call(local, '/performance/login/basic'), 401],
      ['unknown asset', 'data', () => call(local, '/performance/assets/nope.js'), 404],
      ['JSON post', 'data', () => call(local, '/performance/alerts/resolve', { method: 'POST', headers: { ...cookie, origin: local.origin, 'content-type': 'application/json' }, body: '{}' }), 401],
      ['dashboard.js', 'asset', () => call(local, '/performance/assets/dashboard.js'), 200],
      ['dashboard.css', 'asset', () => call(local, '/performance/assets/dashboard.css'), 200],
      ['htmx', 'asset', () => call(local, '/performance/assets/vendor/htmx.min.js'), 200],
      ['uPlot', 'asset', () => call(local, '/performance/assets/vendor/uPlot.iife.min.js'), 200],
    ];
    for (const [what, kind, send, status] of cases) {
      const answer = await send();
      expect(`${what}: ${answer.status}`).toBe(`${what}: ${status}`);
      expectHeaders(answer, kind, what);
    }
  });
});
