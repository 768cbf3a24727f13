// Hostile form posts get a 4xx of ours, never a 500 (issue 13, defect 5), and `next` can neither
// leave the dashboard nor break a header; every dashboard POST is same-origin with a CSRF token.
// Against the real Worker in workerd.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import type { LocalEdge } from '../../../scripts/local-edge.ts';
import { ingestOk } from '../support/edge.ts';
import { makeBatch } from '../../support/batch.ts';
import { call, csrfOf, DASHBOARD_SECRETS, header, signInWithKey, startDashboardEdge } from './support.ts';

setDefaultTimeout(60_000);

const FORM = 'application/x-www-form-urlencoded';
let edge: LocalEdge;
let session: string;
let csrf: string;

beforeAll(async () => {
  edge = await startDashboardEdge();
  await ingestOk(edge, makeBatch(Date.now()));
  ({ session } = await signInWithKey(edge.url));
  csrf = await csrfOf(edge.url, session);
});

afterAll(async () => {
  await edge?.dispose();
});

function resolve(body: string | undefined, headers: Record<string, string> = {}) {
  return call(edge.url, '/performance/alerts/resolve?app=shop', { method: 'POST', body, headers: { cookie: `bun_apm_session=${session}`, origin: edge.url.origin, ...headers } });
}

const codeOf = (body: string) => JSON.parse(body).error.code as string;

describe('POST /performance/alerts/resolve', () => {
  test.each([
    ['a JSON body', JSON.stringify({ id: 'a1', csrf: 'x' }), { 'content-type': 'application/json' }, 415, 'unsupported_media_type'],
    ['a multipart body', '--b\r\nContent-Disposition: form-data; name="id"\r\n\r\na1\r\n--b--\r\n', { 'content-type': 'multipart/form-data; boundary=b' }, 415, 'unsupported_media_type'],
    ['text without a type', 'id=a1', {}, 415, 'unsupported_media_type'],
    ['no body at all', undefined, {}, 403, 'csrf'],
    ['an empty form', '', { 'content-type': FORM }, 403, 'csrf'],
    ['broken percent-encoding', 'id=%zz&csrf=%E0%A4%A', { 'content-type': FORM }, 403, 'csrf'],
    ['a form over 16 KiB', `id=${'x'.repeat(20_000)}`, { 'content-type': FORM }, 413, 'payload_too_large'],
  ] as const)('%s: %d %s, never 500', async (_name, body, headers, status, code) => {
    const res = await resolve(body, headers as Record<string, string>);
    expect(res.status).toBe(status);
    expect(codeOf(res.body)).toBe(code);
  });

  test('with the token: a missing, repeated, or control-character id is a 422 naming the field', async () => {
    for (const fields of [`csrf=${csrf}`, `csrf=${csrf}&id=a&id=b`, `csrf=${csrf}&id=${encodeURIComponent('a\r\nb')}`, `csrf=${csrf}&id=`]) {
      const res = await resolve(fields, { 'content-type': FORM });
      expect(res.status).toBe(422);
      expect(JSON.parse(res.body).error.message).toStartWith('id:');
    }
    expect((await resolve(`csrf=${csrf}&id=no-such-alert`, { 'content-type': FORM })).status).toBe(404);
  });

  test('a repeated csrf field is refused, even when one of them is right', async () => {
    expect((await resolve(`csrf=${csrf}&csrf=forged&id=a1`, { 'content-type': FORM })).status).toBe(403);
  });

  test('cross-origin posts are refused before anything else: another Origin, Origin null, or a cross-site fetch', async () => {
    for (const headers of [{ origin: 'https://evil.example' }, { origin: 'null' }, { origin: 'http://127.0.0.1' }]) {
      const res = await resolve(`csrf=${csrf}&id=a1`, { 'content-type': FORM, ...headers });
      expect(res.status).toBe(403);
      expect(codeOf(res.body)).toBe('forbidden');
    }
    // No Origin at all: the browser's Sec-Fetch-Site decides.
    const noOrigin = (site: string) => call(edge.url, '/performance/alerts/resolve?app=shop', {
      method: 'POST', body: `csrf=${csrf}&id=a1`, headers: { cookie: `bun_apm_session=${session}`, 'content-type': FORM, 'sec-fetch-site': site },
    });
    for (const site of ['cross-site', 'same-site']) expect(codeOf((await noOrigin(site)).body)).toBe('forbidden');
    expect((await noOrigin('same-origin')).status).toBe(404);
  });

  test('GET is not a way around: 405', async () => {
    expect((await call(edge.url, `/performance/alerts/resolve?app=shop&id=a1&csrf=${csrf}`, { headers: { cookie: `bun_apm_session=${session}` } })).status).toBe(405);
  });
});

describe('POST /performance/login', () => {
  function login(body: string | undefined, headers: Record<string, string> = { 'content-type': FORM }) {
    return call(edge.url, '/performance/login', { method: 'POST', body, headers: { origin: edge.url.origin, ...headers } });
  }

  test('a next with CR/LF is a 303 home, not a 500 and not a header split', async () => {
    for (const next of ['/performance\r\nSet-Cookie: x=1', '/performance%0d%0aX-Injected: 1', '/performance\nLocation: https://evil.example']) {
      const res = await login(new URLSearchParams({ apiKey: DASHBOARD_SECRETS.DASHBOARD_API_KEY, next }).toString());
      expect(res.status).toBe(303);
      expect(header(res, 'x-injected')).toBeUndefined();
      expect(res.setCookies.some((c) => c.startsWith('x='))).toBe(false);
      expect(header(res, 'location')).toMatch(/^\/performance(\/|\?|$)/);
      expect(header(res, 'location')).not.toMatch(/[\r\n]/);
    }
  });

  test('open redirects through next are closed: every escape lands on the dashboard', async () => {
    const escapes = ['//evil.example', '/\\evil.example', '\\\\evil.example', 'https://evil.example/performance', 'javascript:alert(1)', '/performance/../admin', '/performance/%2e%2e/admin', '/performancex', ' /performance', '/%2F%2Fevil.example'];
    for (const next of escapes) {
      const res = await login(new URLSearchParams({ apiKey: DASHBOARD_SECRETS.DASHBOARD_API_KEY, next }).toString());
      expect(res.status).toBe(303);
      const location = header(res, 'location')!;
      expect(new URL(location, edge.url).origin).toBe(edge.url.origin);
      expect(location === '/performance' || location.startsWith('/performance/') || location.startsWith('/performance?')).toBe(true);
    }
    const kept = await login(new URLSearchParams({ apiKey: DASHBOARD_SECRETS.DASHBOARD_API_KEY, next: '/performance?app=shop&range=6h' }).toString());
    expect(header(kept, 'location')).toBe('/performance?app=shop&range=6h');
  });

  test('malformed login posts are 4xx: JSON, no body, a huge form', async () => {
    expect((await login(JSON.stringify({ apiKey: 'x' }), { 'content-type': 'application/json' })).status).toBe(415);
    expect((await login(undefined, {})).status).toBe(401);
    expect((await login(`apiKey=${'k'.repeat(40_000)}`)).status).toBe(413);
    expect((await login('apiKey=%zz%')).status).toBe(401);
  });

  test('the next of the sign-in page (GET) is escaped and kept on the dashboard', async () => {
    const page = await call(edge.url, `/performance/login?next=${encodeURIComponent('/performance?x="><script>alert(1)</script>')}`);
    expect(page.status).toBe(200);
    expect(page.body).not.toContain('<script>alert(1)');
    const offsite = await call(edge.url, `/performance/login?next=${encodeURIComponent('https://evil.example/')}`);
    expect(offsite.body).toContain('name="next" value="/performance"');
  });
});
