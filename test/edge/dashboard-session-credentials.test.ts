// A dashboard session lives only while the credential it was opened with is configured unchanged,
// against the real Worker in workerd restarted over the same state (its sessions are kept): rotating
// DASHBOARD_API_KEY ends the key's sessions (and their CSRF tokens), removing API-key sign-in ends
// them too, rotating the basic password ends the basic ones, and a change to anything else ends none.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalEdge } from '../../scripts/local-edge.ts';
import { makeBatch } from '../support/batch.ts';
import { basicAuth, call, csrfOf, DASHBOARD_SECRETS, signInWithKey, startDashboardEdge } from './security/support.ts';
import { ingestOk, KEYS } from './support/edge.ts';

setDefaultTimeout(120_000);

const { DASHBOARD_API_KEY: KEY, DASHBOARD_USERNAME: USER, DASHBOARD_PASSWORD: PASS } = DASHBOARD_SECRETS;
const NEW_KEY = 'dash-key-rotated-0123456789abcdef';
const APPS = ['shop', 'blog'];

const dir = mkdtempSync(join(tmpdir(), 'bun-apm-session-credentials-'));
let edge: LocalEdge | undefined;

/** (Re)starts the runtime over the same state folder with these dashboard bindings. */
async function restart(bindings: Record<string, string>): Promise<LocalEdge> {
  await edge?.dispose();
  // The deployed entry: it keys the sign-in limits by the socket's address, as Cloudflare would.
  edge = await startDashboardEdge({ entry: 'production', persistDir: dir, bindings });
  return edge;
}

const withSession = (session: string) => ({ headers: { cookie: `bun_apm_session=${session}` } });

/** The statuses every app's page and fragment answer this session. */
async function statuses(session: string): Promise<number[]> {
  const out: number[] = [];
  for (const app of APPS) {
    out.push((await call(edge!.url, `/performance?app=${app}`, withSession(session))).status);
    out.push((await call(edge!.url, `/performance/fragments/summary?app=${app}`, withSession(session))).status);
  }
  return out;
}

/** True when the session's page hands out a CSRF token and a post with it gets past the CSRF check. */
async function csrfWorks(session: string, token?: string): Promise<boolean> {
  const csrf = token ?? (await csrfOf(edge!.url, session).catch(() => undefined));
  if (csrf === undefined) return false;
  const post = await call(edge!.url, '/performance/alerts/resolve?app=shop', {
    method: 'POST',
    headers: { cookie: `bun_apm_session=${session}`, origin: edge!.url.origin, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ id: 'no-such-alert', csrf }).toString(),
  });
  // 404 (no open alert with that id) is past sign-in and CSRF; 401/403 is refused before.
  return post.status === 404;
}

async function basicSignIn(user = USER, pass = PASS): Promise<string> {
  const answer = await call(edge!.url, '/performance/login/basic', { headers: { authorization: basicAuth(user, pass) } });
  if (answer.status !== 303) throw new Error(`basic sign-in answered ${answer.status}`);
  return answer.cookies.bun_apm_session!;
}

const ALL_OK = [200, 200, 200, 200];
let keySession: string;
let keyCsrf: string;
let keyDevice: string;
let basicSession: string;

beforeAll(async () => {
  await restart({});
  for (const app of APPS) {
    const batch = makeBatch(Date.now());
    await ingestOk(edge!, { ...batch, identity: { ...batch.identity, app } }, { key: app === 'shop' ? KEYS.shopIngest : KEYS.blogIngest });
  }
  const signed = await signInWithKey(edge!.url);
  keySession = signed.session;
  keyDevice = signed.device;
  keyCsrf = await csrfOf(edge!.url, keySession);
  basicSession = await basicSignIn();
});

afterAll(async () => {
  await edge?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('a session and the credential it was opened with', () => {
  test('before any change, both sessions see every app and their CSRF tokens work', async () => {
    expect(await statuses(keySession)).toEqual(ALL_OK);
    expect(await statuses(basicSession)).toEqual(ALL_OK);
    expect(await csrfWorks(keySession, keyCsrf)).toBe(true);
  });

  test('a restart with an unrelated change (refresh interval) keeps every session', async () => {
    await restart({ DASHBOARD_REFRESH_MS: '5000' });
    expect(await statuses(keySession)).toEqual(ALL_OK);
    expect(await statuses(basicSession)).toEqual(ALL_OK);
    expect(await csrfWorks(keySession, keyCsrf)).toBe(true);
  });

  test('rotating DASHBOARD_API_KEY ends the sessions opened with the old key at once; basic sessions live on', async () => {
    await restart({ DASHBOARD_API_KEY: NEW_KEY });
    expect(await statuses(keySession)).toEqual([401, 401, 401, 401]);
    // The page it gets is the sign-in form, with no CSRF token to take; the old token resolves nothing.
    expect((await call(edge!.url, '/performance?app=shop', withSession(keySession))).body).toContain('name="apiKey"');
    expect(await csrfWorks(keySession)).toBe(false);
    expect(await csrfWorks(keySession, keyCsrf)).toBe(false);
    expect(await statuses(basicSession)).toEqual(ALL_OK);
    // The old key itself is refused; the new one signs in and its session works.
    expect((await call(edge!.url, '/performance/fragments/summary?app=shop', { from: '127.0.0.20', headers: { 'x-api-key': KEY } })).status).toBe(401);
    const fresh = await signInWithKey(edge!.url, NEW_KEY);
    expect(await statuses(fresh.session)).toEqual(ALL_OK);
    expect(await csrfWorks(fresh.session)).toBe(true);
  });

  test('a trusted-device mark from the old key is no longer trusted with the new one', async () => {
    const from = '127.0.0.21';
    for (let i = 0; i < 5; i++) {
      expect((await call(edge!.url, '/performance/fragments/summary?app=shop', { from, headers: { 'x-api-key': `wrong-${i}` } })).status).toBe(401);
    }
    const old = await call(edge!.url, '/performance/fragments/summary?app=shop', { from, headers: { 'x-api-key': NEW_KEY, cookie: `bun_apm_device=${keyDevice}` } });
    expect(old.status).toBe(429);
  });

  test('removing API-key sign-in (basic auth only) ends the key sessions; the basic session lives on', async () => {
    const underNewKey = await signInWithKey(edge!.url, NEW_KEY, '127.0.0.22');
    await restart({ DASHBOARD_API_KEY: '' });
    expect(await statuses(keySession)).toEqual([401, 401, 401, 401]);
    expect(await statuses(underNewKey.session)).toEqual([401, 401, 401, 401]);
    expect(await csrfWorks(underNewKey.session)).toBe(false);
    expect(await statuses(basicSession)).toEqual(ALL_OK);
    expect(await csrfWorks(basicSession)).toBe(true);
  });

  test('rotating the basic password (or the username) ends the basic sessions', async () => {
    await restart({ DASHBOARD_API_KEY: '', DASHBOARD_PASSWORD: 'pa55-word-rotated' });
    expect(await statuses(basicSession)).toEqual([401, 401, 401, 401]);
    expect(await csrfWorks(basicSession)).toBe(false);
    const renamed = await basicSignIn(USER, 'pa55-word-rotated');
    expect(await statuses(renamed)).toEqual(ALL_OK);
    await restart({ DASHBOARD_API_KEY: '', DASHBOARD_USERNAME: 'ops2', DASHBOARD_PASSWORD: 'pa55-word-rotated' });
    expect(await statuses(renamed)).toEqual([401, 401, 401, 401]);
  });
});
