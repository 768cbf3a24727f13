// The in-process dashboard's sign-in on a real Bun server: clients are told apart by their socket
// address (server.requestIP), never by a header they can write; logout revokes the session.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { instrument, performanceDashboard } from '../../src/middleware/index.ts';
import { call, csrfOf } from '../edge/security/support.ts';

const KEY = 'in-process-key-0123456789';
const FRAGMENT = '/performance/fragments/summary';

function serve(options: Parameters<typeof performanceDashboard>[0], passServer: boolean) {
  const dashboard = performanceDashboard({ path: '/performance', app: 'shop', authentication: { apiKey: KEY, username: 'ops', password: 'pw' }, ...options });
  const server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: (req, srv) => dashboard(req, async () => new Response('app'), passServer ? srv : undefined) });
  return { server, base: new URL(`http://127.0.0.1:${server.port}`) };
}

let withAddress: ReturnType<typeof serve>;
let withoutAddress: ReturnType<typeof serve>;

beforeAll(() => {
  withAddress = serve({}, true);
  withoutAddress = serve({}, false);
});

afterAll(() => {
  withAddress?.server.stop(true);
  withoutAddress?.server.stop(true);
});

const key = (k: string, from: string, extra: Record<string, string> = {}) => ({ from, headers: { 'x-api-key': k, ...extra } });

describe('in-process sign-in limits', () => {
  test('with the server given, five failures from one address leave every other address alone; X-Forwarded-For buys nothing', async () => {
    const { base } = withAddress;
    for (let i = 0; i < 5; i++) expect((await call(base, FRAGMENT, key(`wrong-${i}`, '127.0.0.2'))).status).toBe(401);
    expect((await call(base, FRAGMENT, key(KEY, '127.0.0.2'))).status).toBe(429);
    expect((await call(base, FRAGMENT, key('guess', '127.0.0.2', { 'x-forwarded-for': '198.51.100.7' }))).status).toBe(429);
    expect((await call(base, FRAGMENT, key(KEY, '127.0.0.3'))).status).toBe(200);
    expect((await call(base, FRAGMENT, { from: '127.0.0.4', headers: { authorization: `Basic ${btoa('ops:pw')}` } })).status).toBe(200);
  });

  test('with instrument() and `server: () => server`, the same: clients are told apart by socket address', async () => {
    const dashboard = performanceDashboard({ path: '/performance', authentication: { apiKey: KEY }, server: () => server });
    const server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: instrument(() => new Response('app'), dashboard) });
    try {
      const base = new URL(`http://127.0.0.1:${server.port}`);
      for (let i = 0; i < 5; i++) expect((await call(base, FRAGMENT, key(`wrong-${i}`, '127.0.0.12'))).status).toBe(401);
      expect((await call(base, FRAGMENT, key(KEY, '127.0.0.12'))).status).toBe(429);
      expect((await call(base, FRAGMENT, key(KEY, '127.0.0.13'))).status).toBe(200);
    } finally {
      server.stop(true);
    }
  });

  test('without an address every caller is one client, yet a session and a browser that signed in before still get in', async () => {
    const { base } = withoutAddress;
    const login = await call(base, '/performance/login', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: base.origin }, body: `apiKey=${KEY}` });
    expect(login.status).toBe(303);
    for (let i = 0; i < 5; i++) expect((await call(base, FRAGMENT, key(`wrong-${i}`, '127.0.0.5'))).status).toBe(401);
    expect((await call(base, FRAGMENT, key(KEY, '127.0.0.6'))).status).toBe(429);
    expect((await call(base, FRAGMENT, { from: '127.0.0.6', headers: { cookie: `bun_apm_session=${login.cookies.bun_apm_session}` } })).status).toBe(200);
    expect((await call(base, FRAGMENT, key(KEY, '127.0.0.7', { cookie: `bun_apm_device=${login.cookies.bun_apm_device}` }))).status).toBe(200);
  });
});

describe('in-process sessions', () => {
  test('logout needs the session\'s CSRF token and ends the session for good', async () => {
    const { base } = withAddress;
    const form = { 'content-type': 'application/x-www-form-urlencoded', origin: base.origin };
    const login = await call(base, '/performance/login', { method: 'POST', from: '127.0.0.8', headers: form, body: `apiKey=${KEY}` });
    const session = login.cookies.bun_apm_session!;
    const cookie = { cookie: `bun_apm_session=${session}` };
    expect((await call(base, '/performance/logout', { method: 'POST', headers: { ...form, ...cookie }, body: '' })).status).toBe(403);
    expect((await call(base, FRAGMENT, { headers: cookie })).status).toBe(200);
    const csrf = await csrfOf(base, session);
    expect((await call(base, '/performance/logout', { method: 'POST', headers: { ...form, ...cookie }, body: `csrf=${csrf}` })).status).toBe(303);
    expect((await call(base, FRAGMENT, { headers: cookie })).status).toBe(401);
  });

  test('with basic alone, Sign out ends on a page of its own: sent home, the browser would answer the challenge with the password it keeps (a review)', async () => {
    const { server, base } = serve({ authentication: { username: 'ops', password: 'pw' } }, true);
    try {
      const basic = { authorization: `Basic ${btoa('ops:pw')}` };
      const page = await call(base, '/performance', { from: '127.0.0.10', headers: basic });
      const session = page.cookies.bun_apm_session!;
      const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)![1]!;
      const cookie = `bun_apm_session=${session}`;
      const out = await call(base, '/performance/logout', { method: 'POST', from: '127.0.0.10', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: base.origin, cookie }, body: `csrf=${csrf}` });
      expect([out.status, out.headers.location, out.headers['content-type']]).toEqual([200, undefined, 'text/html; charset=utf-8']);
      expect(out.cookies.bun_apm_session).toBe('');
      expect(out.body).toContain('<h2>Signed out</h2>');
      expect(out.body).toContain('keeps the basic-auth password until it is closed');
      expect(out.headers['content-security-policy']).toBeDefined();
      // The session itself is over: its cookie alone gets nothing.
      expect((await call(base, FRAGMENT, { from: '127.0.0.10', headers: { cookie } })).status).toBe(401);
    } finally {
      server.stop(true);
    }
  });

  test('a browser on basic auth gets a session with its first page, so its forms carry a CSRF token', async () => {
    const { base } = withAddress;
    const page = await call(base, '/performance', { from: '127.0.0.9', headers: { authorization: `Basic ${btoa('ops:pw')}` } });
    expect(page.status).toBe(200);
    expect(page.cookies.bun_apm_session).toBeDefined();
    expect(page.body).toMatch(/name="csrf" value="[^"]{20,}"/);
    const data = await call(base, '/performance/data/timeseries', { from: '127.0.0.9', headers: { authorization: `Basic ${btoa('ops:pw')}` } });
    expect(data.cookies.bun_apm_session).toBeUndefined();
  });
});
