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
const SECRET = /^(?:code|ticket)$|\b(?:(?:access|id|refresh|auth|csrf)?token|secrets?|passw(?:or)?d|pwd|pass(?:phrase|code)?|bearer|(?:api|access|secret|private)?key|sig(?:nature)?|jwt|session|sessionid|jsessionid|phpsessid|sid|auth|authorization|cookie|t?otp|pin|ssn|cvv|credit ?card|card ?number|saml ?response|assertion|oidc|credentials?)\b/;
// Run-together lowercase names (`apitoken`, `x-sessiontoken`, `dbpassword`) are one word to the rule
// above. No ordinary word ends in password, passphrase, passcode or secret, so any word that does counts;
// token, key and pass end ordinary words too (`pagetoken`, `monkey`, `compass`), so those count only
// behind a prefix that qualifies nothing but a credential. The list is closed on purpose: `page`, `next`,
// `public`, `sort`, `max` are not in it, so `pagetoken`, `publickey`, `maxtokens` stay as their split forms do.
const SECRET_COMPOUND = /\b(?:[a-z\d]*(?:passw(?:or)?d|pass(?:phrase|code)|secret)|(?:api|app|auth|oauth|access|session|private|secret|webhook|client|refresh|id|user|csrf|xsrf|bearer|security|master|admin|service|signing|encryption)+(?:token|key|pass|pwd|signature|cookie|credentials?))s?\b/;
// Cursors, counts, public and lookup keys, oauth2-proxy's identity headers: harmless, and needed for debugging.
const HARMLESS = /\b(?:(?:page|next|continuation) token|(?:public|sort|partition|primary|cache|object|idempotency|websocket) key|key id|auth request|[a-z\d]+ count)\b/g;

function isSecret(name: string): boolean {
  const words = name.replace(/([a-z\d])([A-Z])/g, '$1 $2').toLowerCase().replace(/[^a-z\d]+/g, ' ').trim();
  const kept = words.replace(HARMLESS, '');
  return SECRET.test(kept) || SECRET_COMPOUND.test(kept);
}

// A credential inside a value rather than its name: `dsn=https://u:pw@sentry.io/1`, a proxy or database
// URL in a header. Only the password goes; scheme, user, host and path stay for debugging. The password
// runs to the last `@` before the host, as URL parsers read it (`u:p@ss@host`).
const URL_PASSWORD = /\b([a-z][a-z\d+.-]{0,31}:\/\/[^\s/?#@:]*:)[^\s/?#]*@/gi;

function shown(name: string, value: string): string {
  return isSecret(name) ? REDACTED : value.replace(URL_PASSWORD, `$1${REDACTED}@`).slice(0, LIMITS.tagValueLength);
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
