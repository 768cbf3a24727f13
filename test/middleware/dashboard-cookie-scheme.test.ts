// The in-process dashboard's cookies on a real Bun server: Secure only when the request came over
// https. Browsers refuse Secure cookies from an http:// origin other than localhost, so a dashboard
// opened at http://10.x.x.x:3000 (a container, a LAN host) went back to its login page after every
// sign-in, and its forms' CSRF token (held by the session) never arrived (a review).
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performanceDashboard } from '../../src/middleware/index.ts';
import { basicAuth, call } from '../edge/security/support.ts';

const BASIC = { authorization: basicAuth('ops', 'pw') };
const FORM = 'application/x-www-form-urlencoded';

const dashboard = performanceDashboard({ path: '/performance', app: 'shop', authentication: { username: 'ops', password: 'pw' } });
let server: ReturnType<typeof Bun.serve>;
let base: URL;

beforeAll(() => {
  server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: (req, srv) => dashboard(req, async () => new Response('app'), srv) });
  base = new URL(`http://127.0.0.1:${server.port}`);
});

afterAll(() => server?.stop(true));

/** A Set-Cookie's attributes, without its value and Max-Age (which change with each sign-in). */
function attributes(setCookie: string): string[] {
  return setCookie.split('; ').slice(1).filter((part) => !part.startsWith('Max-Age='));
}

/** The `name=value` pairs of Set-Cookie lines, as a Cookie header sends them back. */
function cookieHeaderOf(setCookies: readonly string[]): string {
  return setCookies.map((line) => line.split('; ')[0]!).join('; ');
}

describe('the in-process dashboard over plain http', () => {
  test('basic sign-in sets both cookies without Secure (HttpOnly and SameSite=Strict kept); the session then signs in, and its CSRF token posts', async () => {
    const login = await call(base, '/performance/login/basic', { headers: BASIC });
    expect(login.status).toBe(303);
    expect(login.setCookies.map((line) => line.split('=')[0])).toEqual(['bun_apm_session', 'bun_apm_device']);
    for (const line of login.setCookies) expect(attributes(line)).toEqual(['Path=/performance', 'HttpOnly', 'SameSite=Strict']);

    // Only the cookie from here on, as a browser that kept it sends it.
    const cookie = `bun_apm_session=${login.cookies.bun_apm_session}`;
    const page = await call(base, '/performance', { headers: { cookie } });
    expect(page.status).toBe(200);
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)?.[1];
    expect(csrf).toBeDefined();
    const out = await call(base, '/performance/logout', { method: 'POST', headers: { 'content-type': FORM, origin: base.origin, cookie }, body: `csrf=${csrf}` });
    expect(out.status).toBe(200);
    expect(out.body).toContain('<h2>Signed out</h2>');
    // The deletion too: a Secure one over http would be refused, and the cookie would stay.
    expect(out.setCookies).toHaveLength(1);
    expect(attributes(out.setCookies[0]!)).toEqual(['Path=/performance', 'HttpOnly', 'SameSite=Strict']);
    expect((await call(base, '/performance/fragments/summary', { headers: { cookie } })).status).toBe(401);
  });

  test('behind a proxy that ends TLS (X-Forwarded-Proto: https, its first value) the cookies are Secure; http or a forged later value is not', async () => {
    const viaProxy = await call(base, '/performance/login/basic', { headers: { ...BASIC, 'x-forwarded-proto': 'HTTPS, http' } });
    expect(viaProxy.setCookies).toHaveLength(2);
    for (const line of viaProxy.setCookies) expect(attributes(line)).toEqual(['Path=/performance', 'HttpOnly', 'Secure', 'SameSite=Strict']);
    for (const proto of ['http', 'http, https']) {
      const plain = await call(base, '/performance/login/basic', { headers: { ...BASIC, 'x-forwarded-proto': proto } });
      for (const line of plain.setCookies) expect(attributes(line)).toEqual(['Path=/performance', 'HttpOnly', 'SameSite=Strict']);
    }
  });

  test('the session opened with a page read on basic auth has no Secure either', async () => {
    const page = await call(base, '/performance', { headers: BASIC });
    expect(page.status).toBe(200);
    expect(page.setCookies).toHaveLength(1);
    expect(attributes(page.setCookies[0]!)).toEqual(['Path=/performance', 'HttpOnly', 'SameSite=Strict']);
  });
});

describe('the in-process dashboard over https', () => {
  test('a request whose URL is https gets Secure cookies, and the session they carry signs in', async () => {
    const login = await dashboard(new Request(`https://127.0.0.1:${server.port}/performance/login/basic`, { headers: BASIC }), async () => new Response('app'));
    expect(login.status).toBe(303);
    const setCookies = login.headers.getSetCookie();
    expect(setCookies).toHaveLength(2);
    for (const line of setCookies) expect(attributes(line)).toEqual(['Path=/performance', 'HttpOnly', 'Secure', 'SameSite=Strict']);
    const page = await call(base, '/performance/fragments/summary', { headers: { cookie: cookieHeaderOf(setCookies) } });
    expect(page.status).toBe(200);
  });

  describe.skipIf(Bun.which('openssl') === null)('on a TLS server', () => {
    let dir: string;
    let tlsServer: ReturnType<typeof Bun.serve>;

    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'bun-apm-cookie-tls-'));
      const made = Bun.spawnSync(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1']);
      if (made.exitCode !== 0) throw new Error(`openssl: ${made.stderr.toString()}`);
      tlsServer = Bun.serve({
        hostname: '127.0.0.1',
        port: 0,
        tls: { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) },
        fetch: (req, srv) => dashboard(req, async () => new Response('app'), srv),
      });
    });

    afterAll(() => {
      tlsServer?.stop(true);
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    test('sign-in over TLS keeps Secure', async () => {
      const login = await fetch(`https://127.0.0.1:${tlsServer.port}/performance/login/basic`, { headers: BASIC, redirect: 'manual', tls: { rejectUnauthorized: false } });
      expect(login.status).toBe(303);
      const setCookies = login.headers.getSetCookie();
      expect(setCookies).toHaveLength(2);
      for (const line of setCookies) expect(attributes(line)).toContain('Secure');
    });
  });
});
