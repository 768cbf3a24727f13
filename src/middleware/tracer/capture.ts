// What a span may say about a request's content: headers and query parameters with secrets redacted,
// and text bodies up to a cap, read from a clone so the handler still gets the whole body.
import { LIMITS, type TagValue } from '../../core/wire-format.ts';
import { unref } from '../../plugin/runtime/unref.ts';
import { putTag } from './tag-value.ts';

export const SENSITIVE_HEADERS: ReadonlySet<string> = new Set(['authorization', 'cookie', 'set-cookie', 'x-api-key', 'proxy-authorization']);
export const REDACTED = '[REDACTED]';
const MAX_ITEMS = 50;
// Whole words of a name, any case, split at `-`, `_`, `.` and camelCase (`X-Api-Key`, `clientSecret`):
// a query carries the same secrets as a header. `code` (OAuth) and `ticket` only alone.
const SECRET = /^(?:code|ticket)$|\b(?:(?:access|id|refresh|auth|csrf)?token|secrets?|passw(?:or)?d|pwd|pw|pass(?:phrase|code)?|bearer|(?:api|access|secret|private)?key|sig(?:nature)?|hmac|jwt|session|sessionid|jsessionid|phpsessid|sid|auth|authorization|cookie|t?otp|[2m]fa|pin|ssn|cvv|credit ?card|card ?number|saml ?response|assertion|oidc|credentials?|creds|verifier|[cx]srf|appcheck|magic ?link|(?:sms|email|verification|confirmation|reset|login) code)\b/;
// Run-together names (`apitoken`, `x-sessiontoken`, `dbpassword`) are one word to the rule above, and a
// header's name is lowercase, so no camelCase tells its parts apart: each word is read by its ending too.
// No ordinary word ends in password, passphrase, passcode or secret, nor in token but for a few
// (`pagetoken`, `maxtokens`): any other word ending so counts (`githubtoken`, `csrfmiddlewaretoken`).
// key and pass end ordinary words (`monkey`, `compass`): those count only behind a prefix that
// qualifies nothing but a credential, a closed list, so `publickey` and `sortkey` stay shown.
const SECRET_COMPOUND = /\b(?:[a-z\d]*(?:passw(?:or)?d|pass(?:phrase|code)|secret)s?|[a-z\d]*token|(?:api|app|auth|oauth|access|session|private|secret|webhook|client|refresh|id|user|csrf|xsrf|bearer|security|master|admin|service|signing|encryption|account|storage|license|sas|hmac|shared|root|github|gh|npm|aws|stripe|db)+(?:token|key|pass|pwd|signature|cookie|credential)s?)\b/;
// Cursors, counts, public and lookup keys, oauth2-proxy's identity headers, and what is said of a
// secret rather than the secret (its type, method, policy, version): harmless, and needed for debugging.
const HARMLESS = /\b(?:(?:page|next|continuation|sync|cursor|max|min|num|total|input|output|prompt|completion) ?tokens?|(?:public|sort|partition|primary|cache|object|idempotency|websocket|s3|bucket|hash|range|foreign) ?key|[a-z\d]*key id|auth request|(?:call|message|account|request|conference|recording|participant) sid|(?:token|auth|cookie|password|otp|pin|key|signature|session|mfa|2fa) (?:type|method|provider|policy|enabled|version|name|consent|format|algorithm|length|required|expires|expiry|user|reset sent|reset)|[a-z\d]+ count)\b/g;

function isSecret(name: string): boolean {
  const words = name.replace(/([a-z\d])([A-Z])/g, '$1 $2').toLowerCase().replace(/[^a-z\d]+/g, ' ').trim();
  const kept = words.replace(HARMLESS, '');
  return SECRET.test(kept) || SECRET_COMPOUND.test(kept);
}

// A credential inside a value rather than its name: `dsn=https://u:pw@sentry.io/1`, a proxy or database
// URL in a header. Only the password goes; scheme, user, host and path stay for debugging.
const USERINFO = /\b[a-z][a-z\d+.-]{0,31}:\/\/[^\s/?#@:]*:/gi;
// A query inside a value (a Referer, a `return_to` URL) or a cookie-like list: `?token=…`, `; sid=…`.
const INNER_PARAM = /([?&;]\s?)([^\s=&#?;]{1,100})=([^\s&#;]*)/g;

/**
 * The password of each URL in `value` redacted: it runs to the last `@` of its run of non-space
 * characters, as URL parsers read `u:p@ss@host`, and one a parser would end early (`pa#ss`, `pa/ss`)
 * goes too; a `host:port` followed by an address may lose its port that way, never a password. Linear:
 * each run's end and last `@` are found once.
 */
function withoutUrlPasswords(value: string): string {
  let out = '';
  let from = 0;
  let runEnd = -1;
  let lastAt = -1;
  USERINFO.lastIndex = 0;
  for (let match = USERINFO.exec(value); match !== null; match = USERINFO.exec(value)) {
    const start = match.index + match[0].length;
    if (start > runEnd) {
      runEnd = start;
      while (runEnd < value.length && !/\s/.test(value[runEnd]!)) runEnd++;
      lastAt = value.lastIndexOf('@', runEnd - 1);
    }
    if (lastAt < start) continue; // `http://host:8080/…`: a port, no password
    out += value.slice(from, start) + REDACTED;
    from = lastAt;
    USERINFO.lastIndex = lastAt;
  }
  return from === 0 ? value : out + value.slice(from);
}

function shown(name: string, value: string): string {
  if (isSecret(name)) return REDACTED;
  // Read no further than a real credential reaches past the kept length: a 16 KB header of made-up
  // URLs or parameters took 4-5 ms read whole, at most 1.7 ms so.
  const head = value.slice(0, 4 * LIMITS.tagValueLength);
  const params = head.replace(INNER_PARAM, (param, separator: string, key: string) => (isSecret(key) ? `${separator}${key}=${REDACTED}` : param));
  return withoutUrlPasswords(params).slice(0, LIMITS.tagValueLength);
}

export function headerTags(headers: Headers, prefix: string, tags: Record<string, TagValue>): void {
  let n = 0;
  for (const [name, value] of headers) {
    if (n++ >= MAX_ITEMS) break;
    // Within the span's limits (tag count, key length), or the edge refuses the span and its batch.
    putTag(tags, `${prefix}.${name}`.slice(0, LIMITS.tagKeyLength), shown(name, value));
  }
}

export function queryTags(url: string, tags: Record<string, TagValue>): void {
  const query = url.indexOf('?');
  if (query < 0) return;
  const hash = url.indexOf('#', query);
  const params = new URLSearchParams(url.slice(query + 1, hash < 0 ? undefined : hash));
  let n = 0;
  for (const [name, value] of params) {
    if (n++ >= MAX_ITEMS) break;
    putTag(tags, `http.query.${name.slice(0, 100)}`, shown(name, value));
  }
}

const TEXT_TYPE = /^(text\/|application\/(json|x-www-form-urlencoded|xml|graphql|javascript|[\w.+-]+\+(json|xml)))/i;

export function isTextType(contentType: string | null): boolean {
  return contentType !== null && TEXT_TYPE.test(contentType.trim());
}

/**
 * The first `maxBytes` of a text body (undefined for other types, no body, or a read that fails or
 * outlasts `timeoutMs`); reading stops at the cap, so a huge or endless stream costs no more than that.
 */
export async function captureBody(message: Request | Response, maxBytes: number, timeoutMs = 1000): Promise<string | undefined> {
  if (!isTextType(message.headers.get('content-type')) || message.body === null || message.bodyUsed) return undefined;
  const reader = message.clone().body!.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = unref(setTimeout(() => resolve('timeout'), timeoutMs));
  });
  try {
    while (size < maxBytes) {
      const read = await Promise.race([reader.read(), timeout]);
      if (read === 'timeout' || read.done) break;
      chunks.push(read.value);
      size += read.value.byteLength;
    }
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
    reader.cancel().catch(() => {});
  }
  const bytes = new Uint8Array(Math.min(size, maxBytes));
  let at = 0;
  for (const chunk of chunks) {
    const part = chunk.subarray(0, bytes.length - at);
    bytes.set(part, at);
    at += part.length;
    if (at >= bytes.length) break;
  }
  return new TextDecoder().decode(bytes);
}
