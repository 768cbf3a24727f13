// What a browser is answered when it is not (or no longer) signed in, or asks for something wrong:
// a script's request is never challenged (a password prompt per panel), a page navigation is shown
// a page rather than bare JSON (a wrong basic password, a bad query parameter), programs keep the
// JSON, and a lockout names its wait. The in-Chromium half is test/edge/dashboard-signed-out.browser.test.ts.
import { describe, expect, test } from 'bun:test';
import { waitInWords } from '../../../src/core/dashboard/dashboard-auth.ts';
import { createDashboardHandler, type DashboardHandlerOptions } from '../../../src/core/dashboard/handler.ts';
import { ALL_FEATURES } from '../../../src/core/dashboard/view-context.ts';
import { dashboardViews } from '../../../src/views/index.ts';
import { fixedSource } from '../../support/fixed-source.ts';

const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);
const ORIGIN = 'http://127.0.0.1:9999';
const BOTH = { username: 'admin', password: 's3cret', apiKey: 'key-123' };
const BASIC_ONLY = { username: 'admin', password: 's3cret' };
/** What Chromium sends when the address bar or a link opens a page. */
const NAVIGATION = { Accept: 'text/html,application/xhtml+xml,*/*;q=0.8', 'Sec-Fetch-Mode': 'navigate', 'Sec-Fetch-Dest': 'document' };
/** What htmx sends for a panel's refresh. */
const HTMX = { Accept: 'text/html', 'HX-Request': 'true', 'Sec-Fetch-Mode': 'cors' };

function setup(auth: DashboardHandlerOptions['authentication']) {
  const { source } = fixedSource(NOW);
  const handler = createDashboardHandler({
    path: '/performance', title: 'Shop', refreshInterval: 5000, features: ALL_FEATURES, authentication: auth,
    source, views: dashboardViews, assetsPath: '/performance/assets', now: () => NOW,
  });
  return async (path: string, init: RequestInit = {}, client = '10.0.0.1') => (await handler(new Request(`${ORIGIN}${path}`, init), client))!;
}

const basic = (user: string, pass: string) => ({ Authorization: `Basic ${btoa(`${user}:${pass}`)}` });

describe('a script’s request is never challenged', () => {
  test('htmx, the charts’ fetch and any non-navigation get 401 without WWW-Authenticate; a page and a program still get it', async () => {
    const call = setup(BASIC_ONLY);
    const scripts: Array<Record<string, string>> = [HTMX, { Accept: 'application/json', 'X-Requested-With': 'fetch' }, { 'Sec-Fetch-Mode': 'cors' }];
    for (const headers of scripts) {
      const refused = await call('/performance/fragments/summary?app=shop', { headers });
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toBeNull();
      expect((await refused.json()).error.code).toBe('unauthorized');
    }
    expect((await call('/performance/data/timeseries?app=shop', { headers: { 'X-Requested-With': 'fetch' } })).headers.get('www-authenticate')).toBeNull();
    expect((await call('/performance?app=shop', { headers: NAVIGATION })).headers.get('www-authenticate')).toContain('Basic realm=');
    expect((await call('/performance/fragments/summary?app=shop')).headers.get('www-authenticate')).toContain('Basic realm=');
  });

  test('with basic, a page script\'s read needs the page\'s session: the password the browser keeps is not one (a tab signed out elsewhere kept refreshing)', async () => {
    const call = setup(BASIC_ONLY);
    const page = await call('/performance?app=shop', { headers: { ...NAVIGATION, ...basic('admin', 's3cret') } });
    expect(page.status).toBe(200);
    const cookie = /bun_apm_session=[^;]+/.exec(page.headers.get('set-cookie') ?? '')![0];
    const withSession = await call('/performance/fragments/summary?app=shop', { headers: { ...HTMX, ...basic('admin', 's3cret'), cookie } });
    expect(withSession.status).toBe(200);
    const refused = await call('/performance/fragments/summary?app=shop', { headers: { ...HTMX, ...basic('admin', 's3cret') } });
    expect([refused.status, refused.headers.get('www-authenticate')]).toEqual([401, null]);
    expect((await refused.json()).error.message).toBe('your session ended: sign in again');
    // A program (no browser headers) still reads with the password alone.
    expect((await call('/performance/fragments/summary?app=shop', { headers: basic('admin', 's3cret') })).status).toBe(200);
  });

  test('with basic alone, the sign-in link (/login?next=) is the challenge, and it comes back to next', async () => {
    const call = setup(BASIC_ONLY);
    const link = await call('/performance/login?next=%2Fperformance%3Fapp%3Dblog', { headers: NAVIGATION });
    expect(link.status).toBe(303);
    expect(link.headers.get('location')).toBe('/performance/login/basic?next=%2Fperformance%3Fapp%3Dblog');
    const signedIn = await call('/performance/login/basic?next=%2Fperformance%3Fapp%3Dblog', { headers: { ...NAVIGATION, ...basic('admin', 's3cret') } });
    expect(signedIn.status).toBe(303);
    expect(signedIn.headers.get('location')).toBe('/performance?app=blog');
    const offsite = await call('/performance/login/basic?next=%2F%2Fevil.example', { headers: basic('admin', 's3cret') }, 'other');
    expect(offsite.headers.get('location')).toBe('/performance');
  });

  test('the sign-in page’s basic link keeps the page to go back to', async () => {
    const call = setup(BOTH);
    const body = await (await call('/performance?app=blog', { headers: NAVIGATION })).text();
    expect(body).toContain('href="/performance/login/basic?next=%2Fperformance%3Fapp%3Dblog"');
  });
});

describe('a browser navigating is shown a page, programs keep the JSON', () => {
  test('a wrong basic password at /login/basic: the sign-in page with the error, still challenging', async () => {
    const call = setup(BOTH);
    const wrong = await call('/performance/login/basic', { headers: { ...NAVIGATION, ...basic('admin', 'nope') } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('content-type')).toStartWith('text/html');
    expect(wrong.headers.get('www-authenticate')).toContain('Basic realm=');
    const page = await wrong.text();
    expect(page).toContain('That username or password is not valid.');
    expect(page).toContain('name="apiKey"');
    expect(page).not.toContain('{"error"');
    const program = await call('/performance/login/basic', { headers: basic('admin', 'nope') }, 'other');
    expect(program.status).toBe(401);
    expect((await program.json()).error.code).toBe('unauthorized');
  });

  test('with basic alone, a wrong password is a small page that names it', async () => {
    const call = setup(BASIC_ONLY);
    const wrong = await call('/performance/login/basic', { headers: { ...NAVIGATION, ...basic('admin', 'nope') } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('content-type')).toStartWith('text/html');
    expect(wrong.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await wrong.text()).toContain('that username or password is not valid');
  });

  test('a bad query parameter: a page naming it, with a link back; htmx and programs get the JSON', async () => {
    const call = setup(BOTH);
    const key = { 'X-API-Key': 'key-123' };
    const page = await call('/performance?app=shop&minDuration=%3Cb%3Eabc', { headers: { ...NAVIGATION, ...key } });
    expect(page.status).toBe(400);
    expect(page.headers.get('content-type')).toStartWith('text/html');
    const body = await page.text();
    expect(body).toContain('minDuration: expected a number of milliseconds');
    expect(body).toContain('<a href="/performance">');
    expect(body).not.toContain('{"error"');
    const unknownApp = await call('/performance?app=nope', { headers: { ...NAVIGATION, ...key } });
    expect(unknownApp.status).toBe(404);
    expect(await unknownApp.text()).toContain('no such app');
    // (A review: `text/html;q=0` refuses HTML, and got the page.)
    const programs: Array<Record<string, string>> = [{ ...HTMX, ...key }, key, { ...key, Accept: 'application/json' }, { ...key, Accept: 'text/html;q=0, application/json' }, { ...key, Accept: 'application/json, text/html ; Q=0.000' }];
    for (const headers of programs) {
      const answer = await call('/performance/fragments/traces?app=shop&minDuration=abc', { headers });
      expect(answer.status).toBe(400);
      expect((await answer.json()).error.code).toBe('invalid_parameter');
    }
  });
});

describe('a lockout names its wait', () => {
  test('in words, on the sign-in page and in the JSON, as long as Retry-After', async () => {
    const call = setup(BOTH);
    const form = (apiKey: string) => ({ method: 'POST', body: new URLSearchParams({ apiKey }), headers: { Origin: ORIGIN, ...NAVIGATION } });
    for (let i = 0; i < 5; i++) expect((await call('/performance/login', form(`wrong-${i}`), 'attacker')).status).toBe(401);
    const page = await call('/performance/login', form('key-123'), 'attacker');
    expect(page.status).toBe(429);
    expect(await page.text()).toContain(`wait ${page.headers.get('retry-after')} s and try again`);
    const api = await call('/performance/fragments/summary?app=shop', { headers: { 'X-API-Key': 'key-123' } }, 'attacker');
    expect(api.status).toBe(429);
    expect((await api.json()).error.message).toContain(`wait ${api.headers.get('retry-after')} s`);
  });

  test('seconds, then minutes, then hours, rounded up', () => {
    expect(waitInWords(1)).toBe('1 s');
    expect(waitInWords(4_000)).toBe('4 s');
    expect(waitInWords(59_500)).toBe('1 min');
    expect(waitInWords(90_000)).toBe('2 min');
    expect(waitInWords(15 * 60_000)).toBe('15 min');
    expect(waitInWords(2 * 3_600_000)).toBe('2 h');
  });
});
