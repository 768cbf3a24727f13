// Signed session tokens that name a server-side session, and the CSRF token bound to that session.
// The signature rejects forged tokens without a store lookup; the store says whether the session
// is still open, so a logout ends it everywhere at once.
import { base64urlToText, hmac, randomToken, secretsEqual, textToBase64url } from './secrets.ts';

const VERSION = 'v2';
const SESSION_ID = /^[A-Za-z0-9_-]{16,64}$/;

export interface Session {
  /** Random, unguessable; the key of the server-side record. */
  id: string;
  subject: string;
  /** ms since the epoch. */
  expires: number;
}

/** A fresh id for every sign-in: a session is never carried over from before it (no fixation). */
export function newSessionId(): string {
  return randomToken(18);
}

/** `v2.<id>.<expires>.<subject>.<mac>`; the subject is base64url so it can hold any text. */
export async function signSession(secret: string, session: Session): Promise<string> {
  const body = `${VERSION}.${session.id}.${session.expires}.${textToBase64url(session.subject)}`;
  return `${body}.${await hmac(secret, body)}`;
}

/** The session a token names, or null when it is forged, malformed or expired. Says nothing of revocation. */
export async function verifySession(secret: string, token: string | undefined, now: number): Promise<Session | null> {
  if (!token || token.length > 1024) return null;
  const parts = token.split('.');
  if (parts.length !== 5 || parts[0] !== VERSION) return null;
  const [version, id, expiresText, subjectB64, mac] = parts as [string, string, string, string, string];
  if (!SESSION_ID.test(id)) return null;
  if (!(await secretsEqual(mac, await hmac(secret, `${version}.${id}.${expiresText}.${subjectB64}`)))) return null;
  const expires = Number(expiresText);
  if (!/^\d{1,16}$/.test(expiresText) || expires <= now) return null;
  try {
    return { id, subject: base64urlToText(subjectB64), expires };
  } catch {
    return null;
  }
}

/** The CSRF token of one session: forms carry it, state-changing POSTs must return it. Dies with the session. */
export function csrfToken(secret: string, sessionId: string): Promise<string> {
  return hmac(secret, `csrf.${sessionId}`);
}

export async function verifyCsrf(secret: string, sessionId: string, given: string | null | undefined): Promise<boolean> {
  if (!given || given.length > 256) return false;
  return secretsEqual(given, await csrfToken(secret, sessionId));
}
