// Sessions end when the user says so (issue 13, defect 4), against the real Worker in workerd: logout
// revokes the session server-side and needs the session's CSRF token; CSRF tokens are per session;
// no session fixation; authenticated answers are never cached; revocation survives a restart.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalEdge } from '../../../scripts/local-edge.ts';
import { ingestOk } from '../support/edge.ts';
import { makeBatch } from '../../support/batch.ts';
import { call, csrfOf, header, signInWithKey, startDashboardEdge } from './support.ts';

setDefaultTimeout(60_000);

const FRAGMENT = '/performance/fragments/summary?app=shop';
let edge: LocalEdge;

beforeAll(async () => {
  edge = await startDashboardEdge();
  await ingestOk(edge, makeBatch(Date.now()));
});

afterAll(async () => {
  await edge?.dispose();
});

const withSession = (session: string, extra: Record<string, string> = {}) => ({ headers: { cookie: `bun_apm_session=${session}`, ...extra } });

function logout(session: string, csrf?: string, extra: Record<string, string> = {}, next?: string) {
  return call(edge.url, '/performance/logout', {
    method: 'POST',
    headers: { cookie: `bun_apm_session=${session}`, origin: edge.url.origin, 'content-type': 'application/x-www-form-urlencoded', ...extra },
    body: new URLSearchParams({ ...(csrf === undefined ? {} : { csrf }), ...(next === undefined ? {} : { next }) }).toString(),
  });
}

describe('logout', () => {
  test('revokes the session on the server: the same cookie replayed afterwards is refused', async () => {
    const { session } = await signInWithKey(edge.url);
    expect((await call(edge.url, FRAGMENT, withSession(session))).status).toBe(200);
    const out = await logout(session, await csrfOf(edge.url, session));
    expect(out.status).toBe(303);
    expect(header(out, 'location')).toBe('/performance');
    expect(out.setCookies.some((c) => c.startsWith('bun_apm_session=;') && c.includes('Max-Age=0'))).toBe(true);
    const replay = await call(edge.url, FRAGMENT, withSession(session));
    expect(replay.status).toBe(401);
    expect((await call(edge.url, '/performance?app=shop', withSession(session))).body).toContain('name="apiKey"');
  });

  test('goes back to the page signed out from (its app, range, route), whose sign-in comes back to it; never off the dashboard', async () => {
    const page = '/performance?app=shop&range=15m&route=%2Fusers%2F%3Aid';
    const { session } = await signInWithKey(edge.url);
    // The page's sign-out form carries where it is (was: the bare dashboard).
    expect((await call(edge.url, page, withSession(session))).body).toContain(`name="next" value="${page.replaceAll('&', '&amp;')}"`);
    const out = await logout(session, await csrfOf(edge.url, session), {}, page);
    expect(out.status).toBe(303);
    expect(header(out, 'location')).toBe(page);
    for (const elsewhere of ['https://evil.example/performance', '//evil.example/performance', '/performance/../admin']) {
      const other = await signInWithKey(edge.url);
      expect(header(await logout(other.session, await csrfOf(edge.url, other.session), {}, elsewhere), 'location')).toBe('/performance');
    }
  });

  test('needs the CSRF token of that session: without it, with a forged one or another session\'s, the session lives on', async () => {
    const a = await signInWithKey(edge.url);
    const b = await signInWithKey(edge.url);
    const tokenA = await csrfOf(edge.url, a.session);
    const tokenB = await csrfOf(edge.url, b.session);
    expect(tokenA).not.toBe(tokenB);
    for (const csrf of [undefined, '', 'forged', tokenB]) {
      const refused = await logout(a.session, csrf);
      expect(refused.status).toBe(403);
      expect(JSON.parse(refused.body).error.code).toBe('csrf');
    }
    expect((await call(edge.url, FRAGMENT, withSession(a.session))).status).toBe(200);
    // The token may also come as a header (htmx), and a cross-origin post is refused whatever it carries.
    expect((await logout(a.session, undefined, { origin: 'https://evil.example', 'x-csrf-token': tokenA })).status).toBe(403);
    expect((await logout(a.session, undefined, { 'x-csrf-token': tokenA })).status).toBe(303);
    expect((await call(edge.url, FRAGMENT, withSession(a.session))).status).toBe(401);
    expect((await call(edge.url, FRAGMENT, withSession(b.session))).status).toBe(200);
  });

  test('a CSRF token dies with its session: a new sign-in gets a new token, the old one resolves nothing', async () => {
    const first = await signInWithKey(edge.url);
    const oldToken = await csrfOf(edge.url, first.session);
    await logout(first.session, oldToken);
    const second = await signInWithKey(edge.url);
    const newToken = await csrfOf(edge.url, second.session);
    expect(newToken).not.toBe(oldToken);
    const resolve = await call(edge.url, '/performance/alerts/resolve?app=shop', {
      method: 'POST', headers: { cookie: `bun_apm_session=${second.session}`, origin: edge.url.origin, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ id: 'any', csrf: oldToken }).toString(),
    });
    expect(resolve.status).toBe(403);
  });

  test('without a session (credentials in headers) there is nothing to sign out, and no token to forge', async () => {
    const out = await call(edge.url, '/performance/logout', { method: 'POST', headers: { 'x-api-key': 'dash-key-0123456789abcdef', origin: edge.url.origin } });
    expect(out.status).toBe(403);
    expect((await call(edge.url, '/performance/logout', withSession('v2.x.1.y.z'))).status).toBe(401);
    expect((await call(edge.url, '/performance/logout', { headers: { 'x-api-key': 'dash-key-0123456789abcdef' } })).status).toBe(405);
  });
});

describe('session tokens', () => {
  test('no fixation: a sign-in always opens a fresh session, whatever cookie the browser brought', async () => {
    const planted = await signInWithKey(edge.url);
    const again = await call(edge.url, '/performance/login', {
      method: 'POST', body: new URLSearchParams({ apiKey: 'dash-key-0123456789abcdef' }).toString(),
      headers: { cookie: `bun_apm_session=${planted.session}`, origin: edge.url.origin, 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(again.status).toBe(303);
    expect(again.cookies.bun_apm_session).toBeDefined();
    expect(again.cookies.bun_apm_session).not.toBe(planted.session);
    expect(again.cookies.bun_apm_session!.split('.')[1]).not.toBe(planted.session.split('.')[1]);
  });

  test('a session id the server never issued is refused, even correctly shaped; a tampered expiry breaks the signature', async () => {
    const { session } = await signInWithKey(edge.url);
    const [version, id, expires, subject, mac] = session.split('.');
    const variants = [
      [version, 'A'.repeat(24), expires, subject, mac],
      [version, id, String(Number(expires) + 86_400_000), subject, mac],
      [version, id, expires, btoa('basic:ops').replace(/=+$/, ''), mac],
      ['v1', expires, subject, mac],
    ].map((parts) => parts.join('.'));
    for (const forged of variants) expect((await call(edge.url, FRAGMENT, withSession(forged))).status).toBe(401);
  });

  test('cookies are HttpOnly, Secure, SameSite=Strict and scoped to the dashboard path', async () => {
    const { answer } = await signInWithKey(edge.url);
    expect(answer.setCookies.length).toBe(2);
    for (const cookie of answer.setCookies) {
      for (const attribute of ['HttpOnly', 'Secure', 'SameSite=Strict', 'Path=/performance']) expect(cookie).toContain(attribute);
    }
  });

  test('authenticated answers are never cached: pages, fragments, data and redirects are no-store', async () => {
    const { session, answer } = await signInWithKey(edge.url);
    expect(header(answer, 'cache-control')).toBe('no-store');
    for (const path of ['/performance?app=shop', FRAGMENT, '/performance/data/timeseries?app=shop', '/performance/fragments/alerts?app=shop']) {
      const res = await call(edge.url, path, withSession(session));
      expect(res.status).toBe(200);
      expect(header(res, 'cache-control')).toBe('no-store');
    }
  });
});

describe('revocation is durable', () => {
  test('a logout holds across a restart of the runtime, and other sessions survive it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bun-apm-sessions-'));
    try {
      let persistent = await startDashboardEdge({ persistDir: dir });
      const ended = await signInWithKey(persistent.url);
      const kept = await signInWithKey(persistent.url);
      const out = await call(persistent.url, '/performance/logout', {
        method: 'POST', headers: { cookie: `bun_apm_session=${ended.session}`, origin: persistent.url.origin, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ csrf: await csrfOf(persistent.url, ended.session) }).toString(),
      });
      expect(out.status).toBe(303);
      await persistent.dispose();
      persistent = await startDashboardEdge({ persistDir: dir });
      try {
        expect((await call(persistent.url, FRAGMENT, withSession(ended.session))).status).toBe(401);
        expect((await call(persistent.url, FRAGMENT, withSession(kept.session))).status).toBe(200);
      } finally {
        await persistent.dispose();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
