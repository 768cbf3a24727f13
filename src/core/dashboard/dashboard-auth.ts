// Who is looking at the dashboard: basic auth, an API key (header or login form → signed session
// cookie), or nobody when authentication is off. Secrets compared in constant time, never echoed.
import { FailureLimiter } from '../auth/failure-limiter.ts';
import { hmac, secretsEqual } from '../auth/secrets.ts';
import { signSession, verifySession } from '../auth/session.ts';

export interface DashboardAuthOptions {
  enabled?: boolean;
  username?: string;
  password?: string;
  apiKey?: string;
  /** Signs session cookies and CSRF tokens; derived from the credentials when not given. */
  sessionSecret?: string;
  /** Session lifetime, ms (default 12 h). */
  sessionTtlMs?: number;
}

export type AuthResult =
  | { ok: true; subject: string }
  | { ok: false; status: 401 | 429; presented: boolean; retryAfterMs?: number };

export const SESSION_COOKIE = 'bun_apm_session';

export class DashboardAuth {
  readonly basicEnabled: boolean;
  readonly apiKeyEnabled: boolean;
  readonly enabled: boolean;
  private readonly limiter = new FailureLimiter();
  private secret: Promise<string>;

  constructor(private readonly options: DashboardAuthOptions) {
    this.basicEnabled = Boolean(options.username && options.password);
    this.apiKeyEnabled = Boolean(options.apiKey);
    this.enabled = options.enabled !== false && (this.basicEnabled || this.apiKeyEnabled);
    if (options.enabled === true && !this.enabled) {
      throw new Error('dashboard authentication: enabled, but neither username+password nor apiKey is set');
    }
    // Without a configured secret, one derived from the credentials still changes when they do.
    this.secret = options.sessionSecret
      ? Promise.resolve(options.sessionSecret)
      : hmac('bun-apm-session', `${options.apiKey ?? ''}\n${options.username ?? ''}\n${options.password ?? ''}`);
  }

  signingSecret(): Promise<string> {
    return this.secret;
  }

  async check(request: Request, client: string, now: number): Promise<AuthResult> {
    if (!this.enabled) return { ok: true, subject: 'anonymous' };
    const wait = this.limiter.retryAfterMs(client, now);
    if (wait > 0) return { ok: false, status: 429, presented: true, retryAfterMs: wait };

    const session = await verifySession(await this.secret, readCookie(request, SESSION_COOKIE), now);
    if (session) return { ok: true, subject: session.subject };

    const presented = await this.presentedCredentials(request);
    if (presented === null) return { ok: false, status: 401, presented: false };
    if (presented !== false) {
      this.limiter.succeed(client);
      return { ok: true, subject: presented };
    }
    this.limiter.fail(client, now);
    return { ok: false, status: 401, presented: true };
  }

  /** Checks an API key typed into the login form; on success returns the session cookie value. */
  async login(apiKey: string, client: string, now: number): Promise<{ cookie: string } | { retryAfterMs: number } | null> {
    const wait = this.limiter.retryAfterMs(client, now);
    if (wait > 0) return { retryAfterMs: wait };
    if (!this.apiKeyEnabled || !(await secretsEqual(apiKey, this.options.apiKey!))) {
      this.limiter.fail(client, now);
      return null;
    }
    this.limiter.succeed(client);
    return { cookie: await this.issueSession('apikey', now) };
  }

  /** A signed session token for a subject that has just proven itself. */
  async issueSession(subject: string, now: number): Promise<string> {
    return signSession(await this.secret, subject, now + (this.options.sessionTtlMs ?? 12 * 3_600_000));
  }

  sessionMaxAgeSeconds(): number {
    return Math.floor((this.options.sessionTtlMs ?? 12 * 3_600_000) / 1000);
  }

  /** The subject the request's credentials prove; false when wrong; null when none were sent. */
  private async presentedCredentials(request: Request): Promise<string | false | null> {
    const headerKey = request.headers.get('x-api-key');
    const authorization = request.headers.get('authorization') ?? '';
    if (headerKey !== null) {
      return this.apiKeyEnabled && (await secretsEqual(headerKey, this.options.apiKey!)) ? 'apikey' : false;
    }
    const [scheme, value = ''] = authorization.split(/\s+/, 2);
    if (scheme?.toLowerCase() === 'bearer') {
      return this.apiKeyEnabled && (await secretsEqual(value, this.options.apiKey!)) ? 'apikey' : false;
    }
    if (scheme?.toLowerCase() === 'basic') {
      const decoded = decodeBasic(value);
      if (!decoded || !this.basicEnabled) return false;
      const [userOk, passOk] = await Promise.all([
        secretsEqual(decoded.username, this.options.username!),
        secretsEqual(decoded.password, this.options.password!),
      ]);
      return userOk && passOk ? `basic:${decoded.username}` : false;
    }
    return null;
  }
}

function decodeBasic(value: string): { username: string; password: string } | null {
  try {
    const bytes = Uint8Array.from(atob(value), (c) => c.charCodeAt(0));
    const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
    const colon = text.indexOf(':');
    return colon < 0 ? null : { username: text.slice(0, colon), password: text.slice(colon + 1) };
  } catch {
    return null;
  }
}

export function readCookie(request: Request, name: string): string | undefined {
  const header = request.headers.get('cookie');
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
