// Signed, expiring session tokens and CSRF tokens for the dashboard (no server-side session store).
import { base64urlToText, hmac, secretsEqual, textToBase64url } from './secrets.ts';

const VERSION = 'v1';

export interface Session {
  subject: string;
  expires: number;
}

/** `v1.<expires>.<subject>.<mac>`; the subject is base64url so it can hold any text. */
export async function signSession(secret: string, subject: string, expires: number): Promise<string> {
  const body = `${VERSION}.${expires}.${textToBase64url(subject)}`;
  return `${body}.${await hmac(secret, body)}`;
}

/** The session a token proves, or null when it is forged, malformed or expired. */
export async function verifySession(secret: string, token: string | undefined, now: number): Promise<Session | null> {
  if (!token || token.length > 1024) return null;
  const parts = token.split('.');
  if (parts.length !== 4 || parts[0] !== VERSION) return null;
  const [version, expiresText, subjectB64, mac] = parts as [string, string, string, string];
  const body = `${version}.${expiresText}.${subjectB64}`;
  if (!(await secretsEqual(mac, await hmac(secret, body)))) return null;
  const expires = Number(expiresText);
  if (!Number.isSafeInteger(expires) || expires <= now) return null;
  try {
    return { subject: base64urlToText(subjectB64), expires };
  } catch {
    return null;
  }
}

/** A CSRF token bound to who is signed in: forms carry it, state-changing POSTs must return it. */
export function csrfToken(secret: string, subject: string): Promise<string> {
  return hmac(secret, `csrf.${subject}`);
}

export async function verifyCsrf(secret: string, subject: string, given: string | null | undefined): Promise<boolean> {
  if (!given) return false;
  return secretsEqual(given, await csrfToken(secret, subject));
}
