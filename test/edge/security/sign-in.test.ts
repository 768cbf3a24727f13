// Sign-in cannot be turned against the user (issue 13, defect 3), against the real Worker in workerd:
// failures are limited per client and per credential with backoff; a valid session, and a browser
// that signed in before, always get in; a forged cf-connecting-ip buys nothing where it can be forged.
import { afterAll, afterEach, describe, expect, setDefaultTimeout, test } from 'bun:test';
import type { LocalEdge } from '../../../scripts/local-edge.ts';
import { basicAuth, call, cookieHeader, DASHBOARD_SECRETS, header, signInWithKey, startDashboardEdge } from './support.ts';

setDefaultTimeout(60_000);

const { DASHBOARD_API_KEY: KEY, DASHBOARD_USERNAME: USER, DASHBOARD_PASSWORD: PASS } = DASHBOARD_SECRETS;
const FRAGMENT = '/performance/fragments/summary?app=shop';

let edge: LocalEdge | undefined;
afterEach(async () => {
  await edge?.dispose();
  edge = undefined;
});

const withKey = (key: string, from?: string, extra: Record<string, string> = {}) => ({ from, headers: { 'x-api-key': key, ...extra } });

async function failFiveTimes(base: URL, from?: string, extra: Record<string, string> = {}): Promise<void> {
  for (let i = 0; i < 5; i++) expect((await call(base, FRAGMENT, withKey(`wrong-${i}`, from, extra))).status).toBe(401);
}

describe('on Cloudflare (the deployed entry trusts cf-connecting-ip, which Cloudflare sets)', () => {
  test('five wrong keys from one address: that address waits (429, Retry-After), every other address gets in with a key or basic auth', async () => {
    edge = await startDashboardEdge({ entry: 'production' });
    await failFiveTimes(edge.url, '127.0.0.2');
    const limited = await call(edge.url, FRAGMENT, withKey(KEY, '127.0.0.2'));
    expect(limited.status).toBe(429);
    expect(Number(header(limited, 'retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await call(edge.url, FRAGMENT, withKey(KEY, '127.0.0.3'))).status).toBe(200);
    expect((await call(edge.url, FRAGMENT, { from: '127.0.0.4', headers: { authorization: basicAuth(USER, PASS) } })).status).toBe(200);
    expect((await call(edge.url, FRAGMENT, { from: '127.0.0.5', headers: { authorization: `Bearer ${KEY}` } })).status).toBe(200);
  });

  test('the wait is a backoff, not a lock: after Retry-After the right key gets in, and further failures double the wait', async () => {
    edge = await startDashboardEdge({ entry: 'production' });
    await failFiveTimes(edge.url, '127.0.0.6');
    const first = await call(edge.url, FRAGMENT, withKey(KEY, '127.0.0.6'));
    expect(first.status).toBe(429);
    await Bun.sleep(Number(header(first, 'retry-after')) * 1000 + 50);
    expect((await call(edge.url, FRAGMENT, withKey('wrong-again', '127.0.0.6'))).status).toBe(401);
    const second = await call(edge.url, FRAGMENT, withKey(KEY, '127.0.0.6'));
    expect(second.status).toBe(429);
    expect(Number(header(second, 'retry-after'))).toBe(2);
    await Bun.sleep(2050);
    expect((await call(edge.url, FRAGMENT, withKey(KEY, '127.0.0.6'))).status).toBe(200);
  });

  test('an attack spread over many addresses slows the credential for strangers only: sessions and trusted browsers get in', async () => {
    edge = await startDashboardEdge({ entry: 'production' });
    const before = await signInWithKey(edge.url, KEY, '127.0.0.9');
    // Addresses failing 4 times each: none reaches its own limit; the key's 20 free failures run out.
    const statuses: number[] = [];
    for (let client = 10; client < 20; client++) {
      for (let i = 0; i < 4; i++) statuses.push((await call(edge.url, FRAGMENT, withKey(`spray-${client}-${i}`, `127.0.0.${client}`))).status);
    }
    expect(statuses.slice(0, 20).every((status) => status === 401)).toBe(true);
    expect(statuses.slice(20).every((status) => status === 429)).toBe(true);
    const stranger = await call(edge.url, FRAGMENT, withKey(KEY, '127.0.0.60'));
    expect(stranger.status).toBe(429);
    // The session opened before the attack: never limited.
    expect((await call(edge.url, FRAGMENT, { from: '127.0.0.60', headers: { cookie: `bun_apm_session=${before.session}` } })).status).toBe(200);
    // The browser that signed in before (its device cookie), with the right key from a new address.
    const trusted = await call(edge.url, FRAGMENT, withKey(KEY, '127.0.0.61', { cookie: `bun_apm_device=${before.device}` }));
    expect(trusted.status).toBe(200);
    // Basic auth is another credential: untouched by an attack on the key.
    expect((await call(edge.url, FRAGMENT, { from: '127.0.0.62', headers: { authorization: basicAuth(USER, PASS) } })).status).toBe(200);
  });

  test('a trusted browser is judged by its own failures: its device cookie does not lift the limit for guessing', async () => {
    edge = await startDashboardEdge({ entry: 'production' });
    const { device } = await signInWithKey(edge.url, KEY, '127.0.0.70');
    const cookie = { cookie: `bun_apm_device=${device}` };
    for (let i = 0; i < 5; i++) expect((await call(edge.url, FRAGMENT, withKey(`guess-${i}`, `127.0.0.${71 + i}`, cookie))).status).toBe(401);
    expect((await call(edge.url, FRAGMENT, withKey(KEY, '127.0.0.80', cookie))).status).toBe(429);
    // A device cookie for the key says nothing about basic auth, and a forged one is ignored.
    expect((await call(edge.url, FRAGMENT, { from: '127.0.0.81', headers: { authorization: basicAuth(USER, PASS), ...cookie } })).status).toBe(200);
    expect((await call(edge.url, FRAGMENT, withKey(KEY, '127.0.0.82', { cookie: `bun_apm_device=${device.slice(0, -3)}xyz` }))).status).toBe(200);
  });
});

describe('in the local runtime (cf-connecting-ip is whatever the client says)', () => {
  test('a valid session always gets in, even while the client is limited; a forged cf-connecting-ip gets no fresh budget', async () => {
    edge = await startDashboardEdge();
    const { session } = await signInWithKey(edge.url);
    await failFiveTimes(edge.url);
    expect((await call(edge.url, FRAGMENT, { headers: { cookie: `bun_apm_session=${session}` } })).status).toBe(200);
    expect((await call(edge.url, FRAGMENT, withKey(KEY))).status).toBe(429);
    for (const forged of ['203.0.113.7', '198.51.100.1', '::1']) {
      expect((await call(edge.url, FRAGMENT, withKey('guess', undefined, { 'cf-connecting-ip': forged }))).status).toBe(429);
    }
  });

  test('a browser that signed in before gets in with its credentials while strangers on the same machine wait', async () => {
    edge = await startDashboardEdge();
    const viaKey = await signInWithKey(edge.url);
    const viaBasic = await call(edge.url, '/performance/login/basic', { headers: { authorization: basicAuth(USER, PASS) } });
    expect(viaBasic.status).toBe(303);
    await failFiveTimes(edge.url);
    expect((await call(edge.url, FRAGMENT, withKey(KEY))).status).toBe(429);
    expect((await call(edge.url, FRAGMENT, withKey(KEY, undefined, { cookie: `bun_apm_device=${viaKey.device}` }))).status).toBe(200);
    expect((await call(edge.url, FRAGMENT, { headers: { authorization: basicAuth(USER, PASS), cookie: cookieHeader({ bun_apm_device: viaBasic.cookies.bun_apm_device! }) } })).status).toBe(200);
    // The login form honours the same rules.
    const form = (key: string, cookie?: string) => call(edge!.url, '/performance/login', {
      method: 'POST', body: new URLSearchParams({ apiKey: key }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: edge!.url.origin, ...(cookie && { cookie }) },
    });
    expect((await form(KEY)).status).toBe(429);
    expect((await form(KEY, `bun_apm_device=${viaKey.device}`)).status).toBe(303);
  });

  test('limited answers say nothing about the key: the right and a wrong key get the same 429 while waiting', async () => {
    edge = await startDashboardEdge();
    await failFiveTimes(edge.url);
    const right = await call(edge.url, FRAGMENT, withKey(KEY));
    const wrong = await call(edge.url, FRAGMENT, withKey('nope'));
    expect([right.status, wrong.status]).toEqual([429, 429]);
    expect(right.body).toBe(wrong.body);
  });
});

afterAll(async () => {
  await edge?.dispose();
});
