// A long-lived signed cookie marking a browser that has signed in with a credential before. The
// sign-in limits judge such a browser by its own failures only, so an attack on a credential from
// elsewhere (many addresses, or the same NAT) cannot lock out the people who use it.
import { base64urlToText, hmac, randomToken, secretsEqual, textToBase64url } from './secrets.ts';

const VERSION = 'd1';

export interface TrustedDevice {
  id: string;
  /** The subject that signed in on it (`apikey`, `basic:<user>`). */
  subject: string;
  expires: number;
}

export const DEVICE_TTL_MS = 30 * 86_400_000;

export async function signDevice(secret: string, subject: string, now: number): Promise<string> {
  const body = `${VERSION}.${randomToken(12)}.${now + DEVICE_TTL_MS}.${textToBase64url(subject)}`;
  return `${body}.${await hmac(secret, `device.${body}`)}`;
}

/** The device a cookie proves, or null when it is forged, malformed or expired. */
export async function verifyDevice(secret: string, token: string | undefined, now: number): Promise<TrustedDevice | null> {
  if (!token || token.length > 512) return null;
  const parts = token.split('.');
  if (parts.length !== 5 || parts[0] !== VERSION) return null;
  const [version, id, expiresText, subjectB64, mac] = parts as [string, string, string, string, string];
  if (!(await secretsEqual(mac, await hmac(secret, `device.${version}.${id}.${expiresText}.${subjectB64}`)))) return null;
  const expires = Number(expiresText);
  if (!/^\d{1,16}$/.test(expiresText) || expires <= now) return null;
  try {
    return { id, subject: base64urlToText(subjectB64), expires };
  } catch {
    return null;
  }
}
