// Helpers of the security suite: HTTP from a chosen loopback source address (so the runtime sees
// distinct clients, as Cloudflare would), raw sockets for framing and keep-alive probes, and
// sign-in steps against the real Worker.
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import type { LocalEdge } from '../../../scripts/local-edge.ts';
import { startEdge } from '../support/edge.ts';

export const DASHBOARD_SECRETS = {
  DASHBOARD_USERNAME: 'ops',
  DASHBOARD_PASSWORD: 'pa55-word-0123',
  DASHBOARD_API_KEY: 'dash-key-0123456789abcdef',
  SESSION_SECRET: 'session-secret-0123456789abcdef',
};

export function startDashboardEdge(options: Parameters<typeof startEdge>[0] = {}): Promise<LocalEdge> {
  return startEdge({ ...options, bindings: { ...DASHBOARD_SECRETS, ...options.bindings } });
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** Every Set-Cookie, as `name=value` (attributes dropped). */
  cookies: Record<string, string>;
  /** Every Set-Cookie as sent. */
  setCookies: string[];
}

export interface CallOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /** Loopback source address, e.g. 127.0.0.7: a different client as far as the socket goes. */
  from?: string;
}

/** One HTTP request on a fresh connection, from `from` (default 127.0.0.1). */
export function call(base: URL | string, path: string, options: CallOptions = {}): Promise<Answer> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: url.hostname, port: Number(url.port), path: url.pathname + url.search, method: options.method ?? 'GET', headers: options.headers, localAddress: options.from, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const setCookies = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
          const cookies: Record<string, string> = {};
          for (const line of setCookies) {
            const pair = line.split(';')[0]!;
            const eq = pair.indexOf('=');
            cookies[pair.slice(0, eq)] = pair.slice(eq + 1);
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), cookies, setCookies });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.setTimeout(30_000, () => req.destroy(new Error(`${options.method ?? 'GET'} ${path}: no answer in 30 s`)));
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

export function header(answer: Answer, name: string): string | undefined {
  const value = answer.headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(', ') : value;
}

export const cookieHeader = (cookies: Record<string, string>): string =>
  Object.entries(cookies).map(([name, value]) => `${name}=${value}`).join('; ');

export const basicAuth = (user: string, pass: string): string => `Basic ${btoa(`${user}:${pass}`)}`;

/** Signs in through the login form; returns the session and device cookies. */
export async function signInWithKey(base: URL, key = DASHBOARD_SECRETS.DASHBOARD_API_KEY, from?: string): Promise<{ session: string; device: string; answer: Answer }> {
  const answer = await call(base, '/performance/login', { method: 'POST', from, headers: { 'content-type': 'application/x-www-form-urlencoded', origin: base.origin }, body: new URLSearchParams({ apiKey: key }).toString() });
  if (answer.status !== 303) throw new Error(`sign-in answered ${answer.status}: ${answer.body.slice(0, 200)}`);
  return { session: answer.cookies.bun_apm_session!, device: answer.cookies.bun_apm_device!, answer };
}

/** The CSRF token on the dashboard page this session sees. */
export async function csrfOf(base: URL, session: string, app = 'shop'): Promise<string> {
  const page = await call(base, `/performance?app=${app}`, { headers: { cookie: `bun_apm_session=${session}` } });
  const token = /name="csrf" value="([^"]+)"/.exec(page.body)?.[1];
  if (page.status !== 200 || !token) throw new Error(`no CSRF token on the page (status ${page.status})`);
  return token;
}

export interface RawExchange {
  /** Everything the server sent, as latin1 text. */
  data: string;
  /** Status codes of the answers, in order. */
  statuses: number[];
  /** How the connection ended: closed by the server, reset, or still open when we stopped waiting. */
  ending: 'closed' | 'reset' | 'open';
  ms: number;
}

/**
 * Writes `requests` on one connection (each after the previous answer arrived, when `sequential`),
 * then waits up to `waitMs` for `expectAnswers` answers before ending it.
 */
export function rawExchange(port: number, requests: string[], options: { waitMs?: number; expectAnswers?: number } = {}): Promise<RawExchange> {
  const waitMs = options.waitMs ?? 5000;
  const expect = options.expectAnswers ?? requests.length;
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1');
    let data = '';
    let settled = false;
    let sent = 0;
    const statuses = () => [...data.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1]));
    const finish = (ending: RawExchange['ending']) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ data, statuses: statuses(), ending, ms: Date.now() - started });
    };
    const sendNext = () => {
      if (sent < requests.length) socket.write(requests[sent++]!);
    };
    socket.on('connect', sendNext);
    socket.on('data', (chunk: Buffer) => {
      data += chunk.toString('latin1');
      const count = statuses().length;
      if (count >= expect && completeAnswers(data) >= expect) {
        // Give the server a moment to close, so a test can see whether it keeps the connection.
        setTimeout(() => finish('open'), 150);
      } else if (count >= sent && completeAnswers(data) >= sent) {
        sendNext();
      }
    });
    socket.on('end', () => finish('closed'));
    socket.on('error', (error: NodeJS.ErrnoException) => finish(error.code === 'ECONNRESET' ? 'reset' : 'closed'));
    socket.on('close', () => finish('closed'));
    const timer = setTimeout(() => finish('open'), waitMs);
  });
}

/** Answers whose bodies (by Content-Length) have fully arrived. */
function completeAnswers(data: string): number {
  let count = 0;
  let at = 0;
  for (;;) {
    const head = data.indexOf('\r\n\r\n', at);
    if (head < 0) return count;
    const length = /content-length:\s*(\d+)/i.exec(data.slice(at, head))?.[1];
    const end = head + 4 + Number(length ?? 0);
    if (end > data.length) return count;
    count++;
    at = end;
  }
}

/** An HTTP/1.1 request as bytes on the wire. */
export function rawRequest(method: string, path: string, headers: Record<string, string>, body = ''): string {
  const lines = Object.entries({ host: '127.0.0.1', ...headers }).map(([name, value]) => `${name}: ${value}\r\n`).join('');
  return `${method} ${path} HTTP/1.1\r\n${lines}\r\n${body}`;
}
