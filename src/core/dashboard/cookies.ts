// The dashboard's two cookies, scoped to its mount path: the session (ends at logout or expiry) and
// the trusted device (outlives sessions; spares a browser the failure limits of strangers).
// HttpOnly, Secure (see setCookie) and SameSite=Strict, so scripts can't read them and other sites can't send them.

export const SESSION_COOKIE = 'bun_apm_session';
export const DEVICE_COOKIE = 'bun_apm_device';

export function readCookie(request: Request, name: string): string | undefined {
  const header = request.headers.get('cookie');
  if (!header || header.length > 8192) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * A Set-Cookie value; `maxAgeSeconds` 0 deletes the cookie. Values are our own base64url tokens.
 * `secure`: false only for the in-process dashboard asked over plain http, since browsers refuse
 * Secure cookies from any http:// origin but localhost (a dashboard at http://10.0.0.5:3000, in a
 * container or on a LAN host, went back to its sign-in page after every sign-in).
 */
export function setCookie(name: string, value: string, path: string, maxAgeSeconds: number, secure: boolean): string {
  return `${name}=${value}; Path=${path}; Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}; HttpOnly;${secure ? ' Secure;' : ''} SameSite=Strict`;
}
