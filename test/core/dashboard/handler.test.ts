import { describe, expect, test } from 'bun:test';
import { createDashboardHandler, type DashboardHandlerOptions } from '../../../src/core/dashboard/handler.ts';
import { ALL_FEATURES } from '../../../src/core/dashboard/view-context.ts';
import { dashboardViews } from '../../../src/views/index.ts';
import { fixedSource, HOSTILE } from '../../support/fixed-source.ts';

const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);
const ORIGIN = 'http://127.0.0.1:9999';

function setup(auth: DashboardHandlerOptions['authentication'] = { username: 'admin', password: 's3cret', apiKey: 'key-123' }, clock = { now: NOW }) {
  const { source, traceId } = fixedSource(NOW);
  const handler = createDashboardHandler({
    path: '/performance', title: 'Shop <Performance>', refreshInterval: 5000, features: ALL_FEATURES, authentication: auth,
    source, views: dashboardViews, assetsPath: '/performance/assets', now: () => clock.now,
  });
  const call = async (path: string, init: RequestInit = {}, client = '10.0.0.1') => (await handler(new Request(`${ORIGIN}${path}`, init), client))!;
  return { handler, call, source, traceId, clock };
}

const basic = (user: string, pass: string) => ({ Authorization: `Basic ${btoa(`${user}:${pass}`)}` });

describe('dashboard authentication', () => {
  test('no credentials: a page gets the login form linking to basic sign-in; other paths get the challenge', async () => {
    const { call } = setup();
    const res = await call('/performance');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBeNull();
    const body = await res.text();
    expect(body).toContain('name="apiKey"');
    expect(body).toContain('/performance/login/basic');
    const fragment = await call('/performance/fragments/summary');
    expect(fragment.status).toBe(401);
    expect(fragment.headers.get('www-authenticate')).toContain('Basic realm=');
    const challenge = await call('/performance/login/basic');
    expect(challenge.status).toBe(401);
    expect(challenge.headers.get('www-authenticate')).toContain('Basic realm=');
    const signedIn = await call('/performance/login/basic', { headers: basic('admin', 's3cret') });
    expect(signedIn.status).toBe(303);
  });

  test('with basic auth alone, every path challenges', async () => {
    const { call } = setup({ username: 'admin', password: 's3cret' });
    const res = await call('/performance');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('Basic realm=');
  });

  test('X-API-Key, Bearer and basic auth with the right secrets pass; wrong ones get 401', async () => {
    const { call } = setup();
    expect((await call('/performance', { headers: { 'X-API-Key': 'key-123' } })).status).toBe(200);
    expect((await call('/performance', { headers: { Authorization: 'Bearer key-123' } })).status).toBe(200);
    expect((await call('/performance', { headers: basic('admin', 's3cret') })).status).toBe(200);
    expect((await call('/performance', { headers: { 'X-API-Key': 'key-124' } }, 'b')).status).toBe(401);
    const wrongBasic = await call('/performance', { headers: basic('admin', 'nope') }, 'c');
    expect(wrongBasic.status).toBe(401);
    expect(wrongBasic.headers.get('www-authenticate')).toContain('Basic');
    expect(await wrongBasic.text()).not.toContain('s3cret');
  });

  test('the login form exchanges the key for an HttpOnly, Secure, SameSite=Strict session that expires', async () => {
    const { call, clock } = setup();
    const form = new URLSearchParams({ apiKey: 'key-123', next: '/performance?app=blog' });
    const res = await call('/performance/login', { method: 'POST', body: form, headers: { Origin: ORIGIN } });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/performance?app=blog');
    const setCookie = res.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/Secure/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    const cookie = setCookie.split(';')[0]!;
    expect((await call('/performance', { headers: { Cookie: cookie } })).status).toBe(200);
    const tampered = cookie.slice(0, -2) + (cookie.endsWith('AA') ? 'BB' : 'AA');
    expect((await call('/performance/fragments/summary', { headers: { Cookie: tampered } })).status).toBe(401);
    clock.now += 13 * 3_600_000;
    expect((await call('/performance/fragments/summary', { headers: { Cookie: cookie } })).status).toBe(401);
  });

  test('a wrong key at the login form is refused and the next URL cannot leave the dashboard', async () => {
    const { call } = setup();
    const bad = await call('/performance/login', { method: 'POST', body: new URLSearchParams({ apiKey: 'guess' }), headers: { Origin: ORIGIN } });
    expect(bad.status).toBe(401);
    expect(await bad.text()).toContain('not valid');
    const offsite = await call('/performance/login', { method: 'POST', body: new URLSearchParams({ apiKey: 'key-123', next: '//evil.example/x' }), headers: { Origin: ORIGIN } }, 'z');
    expect(offsite.headers.get('location')).toBe('/performance');
  });

  test('repeated failures from one client are refused with 429, others are unaffected', async () => {
    const { call } = setup();
    for (let i = 0; i < 5; i++) expect((await call('/performance', { headers: { 'X-API-Key': `wrong-${i}` } }, 'attacker')).status).toBe(401);
    const limited = await call('/performance', { headers: { 'X-API-Key': 'key-123' } }, 'attacker');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await call('/performance', { headers: { 'X-API-Key': 'key-123' } }, 'someone-else')).status).toBe(200);
  });

  test('authentication enabled without any credential is a startup error', () => {
    expect(() => setup({ enabled: true })).toThrow(/neither username\+password nor apiKey/);
  });

  test('paths outside the mount are not ours', async () => {
    const { handler } = setup();
    expect(await handler(new Request(`${ORIGIN}/performancex`), 'a')).toBeNull();
    expect(await handler(new Request(`${ORIGIN}/api/users`), 'a')).toBeNull();
  });
});

describe('dashboard pages', () => {
  const auth = { headers: { 'X-API-Key': 'key-123' } };

  test('security headers: CSP with self-only scripts and styles, nosniff, referrer policy, no framing', async () => {
    const { call } = setup();
    const res = await call('/performance', auth);
    const csp = res.headers.get('content-security-policy')!;
    for (const part of ["default-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"]) expect(csp).toContain(part);
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBeTruthy();
    const body = await res.text();
    expect(body).not.toMatch(/<script>(?!<\/script>)|<script(?![^>]*src=)[^>]*>|\sstyle=|\son[a-z]+=/i);
  });

  test('hostile strings from the data are escaped on every page', async () => {
    const { call, traceId } = setup();
    const pages = ['/performance', '/performance/fragments/routes', '/performance/fragments/alerts', '/performance/fragments/traces', `/performance/traces/${traceId}`];
    for (const page of pages) {
      const body = await (await call(page, auth)).text();
      for (const raw of Object.values(HOSTILE)) expect(body).not.toContain(raw);
      expect(body).not.toContain('<script>alert');
      expect(body).not.toMatch(/<img[^>]*onerror/i);
      expect(body).not.toMatch(/<svg[^>]*onload/i);
    }
    const trace = await (await call(`/performance/traces/${traceId}`, auth)).text();
    expect(trace).toMatch(/&lt;svg onload=alert\(3\)&gt;/);
    expect(trace).toContain('database-query');
    const title = await (await call('/performance', auth)).text();
    expect(title).toContain('Shop &lt;Performance&gt;');
  });

  test('resolving an alert needs the CSRF token of this session and a same-origin post', async () => {
    const { call, source } = setup();
    const login = await call('/performance/login', { method: 'POST', body: new URLSearchParams({ apiKey: 'key-123' }), headers: { Origin: ORIGIN } });
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const page = await (await call('/performance', { headers: { Cookie: cookie } })).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)![1]!;
    const post = (body: Record<string, string>, headers: Record<string, string> = { Origin: ORIGIN }) =>
      call('/performance/alerts/resolve?app=shop', { method: 'POST', body: new URLSearchParams(body), headers: { Cookie: cookie, ...headers, 'HX-Request': 'true' } });
    expect((await post({ id: 'a1' })).status).toBe(403);
    expect((await post({ id: 'a1', csrf: 'forged' })).status).toBe(403);
    expect((await post({ id: 'a1', csrf }, { Origin: 'https://evil.example' })).status).toBe(403);
    expect(source.resolved).toEqual([]);
    const ok = await post({ id: 'a1', csrf });
    expect(ok.status).toBe(200);
    expect(source.resolved).toEqual(['a1']);
    expect(await ok.text()).not.toContain('>firing<');
    expect((await post({ id: 'a1', csrf })).status).toBe(404);
  });

  test('chart data is columnar JSON and an unknown app is a 404', async () => {
    const { call } = setup();
    const data = await (await call('/performance/data/timeseries?metric=latency', auth)).json();
    expect(Object.keys(data)).toContain('t');
    expect(data.p95.length).toBe(data.t.length);
    expect((await call('/performance?app=secret-app', auth)).status).toBe(404);
  });

  test('features switch panels off', async () => {
    const { source } = fixedSource(NOW);
    const handler = createDashboardHandler({
      path: '/p', title: 't', refreshInterval: 1000, authentication: { enabled: false }, source, views: dashboardViews, assetsPath: '/p/assets',
      features: { realTimeMetrics: false, historicalCharts: false, alertsPanel: false, tracingView: false, systemMetrics: false },
    });
    const body = await (await handler(new Request(`${ORIGIN}/p`), 'a'))!.text();
    expect(body).not.toContain('id="summary"');
    expect(body).not.toContain('data-chart');
    expect(body).not.toContain('id="alerts"');
    expect(body).not.toContain('id="traces"');
    expect(body).toContain('id="routes"');
  });
});

describe('dashboard query parameters', () => {
  const auth = { headers: { 'X-API-Key': 'key-123' } };

  test('a value the dashboard never sends is a 400 naming the parameter and what it takes, not a default page', async () => {
    const { call } = setup();
    const cases: Array<[string, string]> = [
      ['/performance?app=shop&range=2h', 'range: expected one of 15m, 1h, 6h, 24h, 7d'],
      ['/performance/fragments/summary?app=shop&range=1H', 'range: expected one of 15m, 1h, 6h, 24h, 7d'],
      ['/performance/fragments/routes?app=shop&sort=p90', 'sort: expected one of requests, errors, errorRate, avg, p50, p95, p99, max, apdex, route'],
      ['/performance/data/timeseries?app=shop&metric=p95', 'metric: expected one of latency, throughput, errors, status'],
      ['/performance/data/system?app=shop&metric=disk', 'metric: expected one of memory, cpu, eventLoop'],
      ['/performance/fragments/traces?app=shop&minDuration=abc', 'minDuration: expected a number of milliseconds, such as 200'],
      ['/performance/fragments/traces?app=shop&minDuration=0x10', 'minDuration: expected a number of milliseconds, such as 200'],
      ['/performance/fragments/traces?app=shop&minDuration=Infinity', 'minDuration: expected a number of milliseconds, such as 200'],
      ['/performance/fragments/traces?app=shop&errors=true', 'errors: expected 1 (errors only) or nothing'],
      ['/performance/fragments/traces?app=shop&order=oldest', 'order: expected one of recent, slowest'],
      ['/performance?app=shop&route=%2Fusers%2F%3Aid&method=get', 'method: expected an HTTP method in capitals, such as GET'],
      ['/performance?app=shop&method=G%20T', 'method: expected an HTTP method in capitals, such as GET'],
      // Given twice, as the JSON API refuses it (a review: the first had been shown, the second dropped).
      ['/performance/fragments/routes?app=shop&sort=p95&sort=bogus', 'sort: given 2 times; give it once'],
      ['/performance?app=shop&range=1h&range=7d', 'range: given 2 times; give it once'],
      ['/performance?app=shop&app=shop', 'app: given 2 times; give it once'],
      ['/performance/fragments/traces?app=shop&traceRoute=/a&traceRoute=/b', 'traceRoute: given 2 times; give it once'],
    ];
    for (const [path, message] of cases) {
      const res = await call(path, auth);
      expect([path, res.status, res.headers.get('content-type')]).toEqual([path, 400, expect.stringContaining('application/json')]);
      expect([path, await res.json()]).toEqual([path, { error: { code: 'invalid_parameter', message } }]);
    }
  });

  test('absent or empty parameters keep the defaults', async () => {
    const { call } = setup();
    for (const path of ['/performance', '/performance?app=shop&range=&sort=&order=&errors=&minDuration=&method=', '/performance/data/timeseries?app=shop', '/performance/data/system?app=shop&metric=']) {
      expect([path, (await call(path, auth)).status]).toEqual([path, 200]);
    }
  });

  test('every link, fragment and chart URL the dashboard renders, and every traces form it can submit, is answered', async () => {
    const { call, traceId } = setup();
    const seen = new Set<string>();
    const pending = ['/performance?app=shop', '/performance?app=shop&route=%2Fusers%2F%3Aid&method=GET&range=6h', `/performance/traces/${traceId}?app=shop&sort=p95&order=slowest`];
    for (let path = pending.shift(); path !== undefined; path = pending.shift()) {
      if (seen.has(path)) continue;
      seen.add(path);
      const res = await call(path, auth);
      expect([path, res.status]).toEqual([path, 200]);
      if (!(res.headers.get('content-type') ?? '').includes('text/html')) continue;
      const body = await res.text();
      for (const [, url] of body.matchAll(/(?:href|hx-get|data-src)="(\/performance[^"]*)"/g)) {
        const decoded = url!.replaceAll('&amp;', '&').replaceAll('&#38;', '&');
        if (!decoded.startsWith('/performance/assets') && !decoded.startsWith('/performance/login') && seen.size + pending.length < 300) pending.push(decoded);
      }
    }
    // Ranges, sorts, both charts' metrics and a trace page are among what was followed.
    for (const part of ['range=15m', 'range=7d', 'sort=p99', 'metric=status', 'metric=eventLoop', '/traces/']) {
      expect([part, [...seen].some((path) => path.includes(part))]).toEqual([part, true]);
    }
    // The traces form, as htmx sends it: its hidden fields, the typed route and Min ms (a number
    // input sends what HTML calls a number, or empty), the checkbox when ticked, the order.
    for (const page of [{}, { route: '/users/:id', method: 'GET' }] as Array<Record<string, string>>) {
      for (const minDuration of ['', '0', '200', '1.5', '.5', '-5', '1e3', '1e400']) {
        for (const errors of [undefined, '1']) {
          for (const order of ['recent', 'slowest']) {
            const form = new URLSearchParams({ app: 'shop', range: '24h', ...page, traceRoute: '/users', minDuration, ...(errors === undefined ? {} : { errors }), order });
            const path = `/performance/fragments/traces?${form}`;
            expect([path, (await call(path, auth)).status]).toEqual([path, 200]);
          }
        }
      }
    }
  });
});

describe('an empty app parameter', () => {
  test('`?app=` opens the default app, as no parameter does, and no link of a page carries `app=` with nothing (the sign-in page\'s brand link had led to a 404: a review)', async () => {
    const { call } = setup();
    const key = { 'X-API-Key': 'key-123' };
    const plain = await call('/performance', { headers: key });
    const empty = await call('/performance?app=', { headers: key });
    expect([plain.status, empty.status]).toEqual([200, 200]);
    const [plainPage, emptyPage] = [await plain.text(), await empty.text()];
    expect(emptyPage.length).toBeGreaterThan(1000);
    expect(emptyPage.replace(/csrf[^"]*"[^"]*"/g, '')).toBe(plainPage.replace(/csrf[^"]*"[^"]*"/g, ''));
    const login = await (await call('/performance?app=', { headers: { Accept: 'text/html' } })).text();
    // The sign-in form keeps the URL asked for as its `next`, which now opens the default app too.
    const emptyLink = /href="[^"]*[?&;]app=(&|")/;
    expect(login).toContain('<a href="/performance">');
    expect(login).not.toMatch(emptyLink);
    expect(emptyPage).not.toMatch(emptyLink);
  });
});
