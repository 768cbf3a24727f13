// Who is looking at the dashboard: an open session (checked first, never limited), else basic auth
// or an API key, checked only when the sign-in limits let this attempt through. Secrets are
// compared in constant time and never echoed; sessions live in the host's SignInStore. A session
// (and a trusted-device mark) is signed with a key derived from the secret and the one credential
// it was opened with, so it ends the moment that credential is changed or removed.
import { hmac, secretsEqual } from '../auth/secrets.ts';
import { csrfToken, newSessionId, signSession, verifyCsrf, verifySession } from '../auth/session.ts';
import type { SignInAttempt } from '../auth/sign-in-limits.ts';
import type { SignInStore } from '../auth/sign-in-store.ts';
import { DEVICE_TTL_MS, signDevice, verifyDevice } from '../auth/trusted-device.ts';
import { DEVICE_COOKIE, readCookie, SESSION_COOKIE } from './cookies.ts';

export interface DashboardAuthOptions {
  enabled?: boolean;
  username?: string;
  password?: string;
  apiKey?: string;
  /** Signs CSRF tokens, and (with each credential) session and device tokens; derived from the credentials when not given. */
  sessionSecret?: string;
  /** Session lifetime, ms (default 12 h). */
  sessionTtlMs?: number;
}

export type Credential = 'apikey' | 'basic';
const CREDENTIALS: readonly Credential[] = ['apikey', 'basic'];

export type Who =
  | { ok: true; subject: string; sessionId: string | null; via: 'open' | 'session' | Credential }
  | Refusal;

export interface Refusal {
  ok: false;
  status: 401 | 429;
  /** Credentials were sent (wrong or not checked), as opposed to none at all. */
  presented: boolean;
  retryAfterMs?: number;
}

/** A credential the request presents, not yet checked. */
interface Presented {
  credential: Credential;
  /** The subject it proves, or false; runs in constant time in the secret. */
  verify(): Promise<string | false>;
}

const DEFAULT_TTL_MS = 12 * 3_600_000;

/** What a refusal under the sign-in limits says: the wait, in words (Retry-After carries it only for programs). */
export function lockedOut(refusal: Refusal): string {
  return `too many failed sign-in attempts; wait ${waitInWords(refusal.retryAfterMs ?? 1000)} and try again`;
}

/** A wait as a person reads it, rounded up: `4 s`, `15 min`, `2 h`. */
export function waitInWords(ms: number): string {
  const seconds = Math.max(1, Math.ceil(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.ceil(seconds / 60);
  return minutes < 60 ? `${minutes} min` : `${Math.ceil(minutes / 60)} h`;
}

export class DashboardAuth {
  readonly basicEnabled: boolean;
  readonly apiKeyEnabled: boolean;
  readonly enabled: boolean;
  private readonly secret: Promise<string>;
  /** Per credential: the key that signs its sessions and devices, or null when it is not configured. */
  private readonly credentialKeys: Record<Credential, Promise<string | null>>;
  private readonly ttlMs: number;

  private readonly options: DashboardAuthOptions;

  constructor(
    options: DashboardAuthOptions,
    private readonly store: SignInStore,
  ) {
    // A key set with a line break or spaces around it (`echo key | …`) is the key without them, as
    // the other keys are read; a key given is compared trimmed too (a header value loses them anyway).
    options = { ...options, apiKey: options.apiKey?.trim() || undefined };
    this.options = options;
    this.basicEnabled = Boolean(options.username && options.password);
    this.apiKeyEnabled = Boolean(options.apiKey);
    this.enabled = options.enabled !== false && (this.basicEnabled || this.apiKeyEnabled);
    if (options.enabled === true && !this.enabled) {
      throw new Error('dashboard authentication: enabled, but neither username+password nor apiKey is set');
    }
    this.ttlMs = options.sessionTtlMs ?? DEFAULT_TTL_MS;
    // Without a configured secret, one derived from the credentials still changes when they do.
    this.secret = options.sessionSecret
      ? Promise.resolve(options.sessionSecret)
      : hmac('bun-apm-session', `${options.apiKey ?? ''}\n${options.username ?? ''}\n${options.password ?? ''}`);
    // A token signed under one credential's key verifies only while that credential is configured
    // unchanged: rotating it, or turning its sign-in method off, ends its sessions at once, and a
    // change to anything else (the other credential, the path, the refresh) leaves them open.
    // The credential never leaves the server: only a MAC under the secret goes into the key.
    const keyOf = (credential: Credential, material: string | null): Promise<string | null> =>
      material === null ? Promise.resolve(null) : this.secret.then((secret) => hmac(secret, `bun-apm-credential-key\n${credential}\n${material}`));
    this.credentialKeys = {
      apikey: keyOf('apikey', this.apiKeyEnabled ? options.apiKey! : null),
      basic: keyOf('basic', this.basicEnabled ? `${options.username!.length}:${options.username!}\n${options.password!}` : null),
    };
  }

  /** The viewer of this request: its open session, else the credentials in its headers. */
  async check(request: Request, client: string, now: number): Promise<Who> {
    if (!this.enabled) return { ok: true, subject: 'anonymous', sessionId: null, via: 'open' };
    const session = await this.openSessionOf(request, now);
    if (session) return { ok: true, subject: session.subject, sessionId: session.id, via: 'session' };
    const presented = this.headerCredentials(request);
    if (presented === null) return { ok: false, status: 401, presented: false };
    return this.attempt(request, presented, client, now);
  }

  /** Basic credentials only (the `/login/basic` challenge), whatever session the request has. */
  async checkBasic(request: Request, client: string, now: number): Promise<Who> {
    const presented = this.basicEnabled ? this.basicCredentials(request) : null;
    if (presented === null) return { ok: false, status: 401, presented: false };
    return this.attempt(request, presented, client, now);
  }

  /** An API key typed into the login form. */
  async checkKey(request: Request, apiKey: string, client: string, now: number): Promise<Who> {
    return this.attempt(request, { credential: 'apikey', verify: () => this.verifyKey(apiKey) }, client, now);
  }

  /** Opens a server-side session for a subject that has just proven itself; returns its cookie value. */
  async openSession(subject: string, now: number): Promise<{ id: string; token: string; maxAgeSeconds: number }> {
    const key = await this.keyFor(subject);
    const session = { id: newSessionId(), subject, expires: now + this.ttlMs };
    await this.store.openSession(session, now);
    return { id: session.id, token: await signSession(key, session), maxAgeSeconds: Math.floor(this.ttlMs / 1000) };
  }

  closeSession(sessionId: string): Promise<void> {
    return this.store.closeSession(sessionId);
  }

  /** A trusted-device cookie value for a browser that has just signed in as `subject`. */
  async deviceToken(subject: string, now: number): Promise<{ token: string; maxAgeSeconds: number }> {
    return { token: await signDevice(await this.keyFor(subject), subject, now), maxAgeSeconds: Math.floor(DEVICE_TTL_MS / 1000) };
  }

  async csrfFor(sessionId: string): Promise<string> {
    return csrfToken(await this.secret, sessionId);
  }

  async csrfValid(sessionId: string, given: string | null | undefined): Promise<boolean> {
    return verifyCsrf(await this.secret, sessionId, given);
  }

  private async openSessionOf(request: Request, now: number) {
    const token = readCookie(request, SESSION_COOKIE);
    if (!token) return null;
    for (const credential of CREDENTIALS) {
      const key = await this.credentialKeys[credential];
      if (key === null) continue;
      const session = await verifySession(key, token, now);
      // The subject is signed too: a token verifies only under the key of the credential it names.
      if (session && credentialOf(session.subject) === credential) {
        return (await this.store.isOpen(session.id, now)) ? session : null;
      }
    }
    return null;
  }

  /** The signing key of the credential a subject signed in with; it is configured, or the subject could not have. */
  private async keyFor(subject: string): Promise<string> {
    const key = await this.credentialKeys[credentialOf(subject)];
    if (key === null) throw new Error(`dashboard authentication: no ${credentialOf(subject)} credential is configured`);
    return key;
  }

  /** Checks one credential unless the limits say wait; counts the outcome. */
  private async attempt(request: Request, presented: Presented, client: string, now: number): Promise<Who> {
    const attempt: SignInAttempt = { client, credential: presented.credential };
    const deviceKey = await this.credentialKeys[presented.credential];
    const device = deviceKey === null ? null : await verifyDevice(deviceKey, readCookie(request, DEVICE_COOKIE), now);
    if (device && credentialOf(device.subject) === presented.credential) attempt.device = device.id;
    const wait = await this.store.retryAfterMs(attempt, now);
    if (wait > 0) return { ok: false, status: 429, presented: true, retryAfterMs: wait };
    const subject = await presented.verify();
    if (subject === false) {
      await this.store.failed(attempt, now);
      return { ok: false, status: 401, presented: true };
    }
    await this.store.succeeded(attempt, now);
    return { ok: true, subject, sessionId: null, via: presented.credential };
  }

  /** X-API-Key, Bearer or Basic; null when the request sends none of them. */
  private headerCredentials(request: Request): Presented | null {
    const headerKey = request.headers.get('x-api-key');
    if (headerKey !== null) return { credential: 'apikey', verify: () => this.verifyKey(headerKey) };
    const [scheme = ''] = (request.headers.get('authorization') ?? '').trim().split(/\s+/, 1);
    if (scheme.toLowerCase() === 'bearer') {
      const token = (request.headers.get('authorization') ?? '').trim().slice(scheme.length).trim();
      return { credential: 'apikey', verify: () => this.verifyKey(token) };
    }
    return this.basicCredentials(request);
  }

  private basicCredentials(request: Request): Presented | null {
    const authorization = (request.headers.get('authorization') ?? '').trim();
    const [scheme = ''] = authorization.split(/\s+/, 1);
    if (scheme.toLowerCase() !== 'basic') return null;
    const decoded = decodeBasic(authorization.slice(scheme.length).trim());
    return {
      credential: 'basic',
      verify: async () => {
        if (!decoded || !this.basicEnabled) return false;
        const [userOk, passOk] = await Promise.all([
          secretsEqual(decoded.username, this.options.username!),
          secretsEqual(decoded.password, this.options.password!),
        ]);
        return userOk && passOk ? `basic:${decoded.username}` : false;
      },
    };
  }

  private async verifyKey(given: string): Promise<string | false> {
    return this.apiKeyEnabled && (await secretsEqual(given.trim(), this.options.apiKey!)) ? 'apikey' : false;
  }
}

/** Which credential a subject signed in with. */
export function credentialOf(subject: string): Credential {
  return subject === 'apikey' ? 'apikey' : 'basic';
}

function decodeBasic(value: string): { username: string; password: string } | null {
  if (value.length > 4096) return null;
  try {
    const bytes = Uint8Array.from(atob(value), (c) => c.charCodeAt(0));
    const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
    const colon = text.indexOf(':');
    return colon < 0 ? null : { username: text.slice(0, colon), password: text.slice(colon + 1) };
  } catch {
    return null;
  }
}
