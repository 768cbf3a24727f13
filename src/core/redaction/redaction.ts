// What of a request's content a span may not carry: secrets by their name (a header, a query
// parameter) and inside any text a span keeps (a header's or query's value, a captured body, a
// thrown error's message): `name=value` pairs, JSON, XML and `name: value` fields, a URL's
// password, and credentials that say what they are (a private key, a JWT, a provider's marked key).
import { ownCopy } from '../own-copy.ts';
import { clip, LIMITS } from '../wire-format.ts';
import { isSecret, isSecretField } from './secret-names.ts';

export const REDACTED = '[REDACTED]';

// A credential inside a value rather than its name: `dsn=https://u:pw@sentry.io/1`, a proxy or database
// URL in a header. Only the password goes; scheme, user, host and path stay for debugging.
const USERINFO = /\b[a-z][a-z\d+.-]{0,31}:\/\/[^\s/?#@:]*:/gi;
// A proxy's credentials without a scheme (`user:pass@proxy:3128`), as a whole value only (in running
// text a `name:x@y` is as often an address), and only of what such a value holds: a compact JSON body
// or a form with one `@` (an email) and a `:` had matched whole, its fields then unread (a review).
const BARE_USERINFO = /^([\w.%+-]{1,100}):(?!\/\/)[^\s@"'{}<>&=,;]{1,200}@([\w.-]{1,253}(?::\d{1,5})?)$/;

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

// A `name=` inside text: at its start or after `?`, `&`, `;`, `,`, `#` or a space, so a query, a form
// body, a fragment (`#access_token=`), a cookie-like list and W3C baggage (`a=1,session_token=…`)
// alike; and the same percent-encoded once or twice, as a query inside a query's value is
// (`return_to=%2Fcb%3Ftoken%3D…`). The `=`'s encoding tells how deep the pair sits.
// A name holds no `/`: `/files/key=abc/read` is a path, not a pair. After a quote too: a pair at the
// start of a JSON string (`{"q":"token=…"}`). Spaces around a plain `=`, as SQL, INI and TOML write it.
// And straight after another pair's `=`, plain or encoded (`filter=token=…`, `a=(token=…)`,
// `q=filter%3Dtoken%3D…`): a value whose name is not secret may be a pair. What comes before a name
// is looked behind at, not matched, as the `=` ending the pair before was matched already.
const PAIR_NAME = /(?<=^|[?&;,#\s"'=]|%(?:25){0,2}(?:3[FfBbDd]|26|2[Cc]|23|20))\s?((?:[^\s=&#?;,%/"']|%[0-9A-Fa-f]{2}){1,100}?)([ \t]*=[ \t]*|%3[Dd]|%253[Dd]|%25253[Dd])/g;
// A secret's value runs to the next separator as deep as its `=` or shallower, but `,` and `?` (a
// password may hold either): `token=a%26b` is one value, `…%3Ftoken%3Da%26lang%3Den` ends at `%26`;
// and to a `"`, which ends the JSON string the pair sits in (`{"q":"token=…","user":…}`).
const PAIR_VALUE_END = [/[\s&#;"]/g, /[\s&#;"]|%(?:26|23|3[Bb]|20)/g, /[\s&#;"]|%(?:25)?(?:26|23|3[Bb]|20)/g, /[\s&#;"]|%(?:25){0,2}(?:26|23|3[Bb]|20)/g];
// The words an Authorization value starts with, its credential after them: `Bearer …`, `Basic …`,
// GitHub's `token …`, Discord's `Bot …`, Elasticsearch's `ApiKey …`, Kerberos' `Negotiate …`.
const AUTH_SCHEME = '(?:Bearer|Basic|Digest|Negotiate|NTLM|Token|Bot|ApiKey|OAuth|DPoP|GNAP|HOBA|SSWS|PrivateToken)';
// A pair's value that is one of them alone, and the space after it, plain or encoded as deep as the pair.
const PAIR_SCHEME = new RegExp(`${AUTH_SCHEME}(?![\\w-])`, 'iy');
const SCHEME_GAP = /(?:[ \t]|%(?:25){0,2}20)+/y;
// An Authorization's value may start with any scheme's word (Splunk's `Splunk …`, a vendor's own):
// after such a name, a first word (up to 64 characters) is taken for one (its credential went out raw).
const AUTH_NAME = /(?:^|[-_.])(?:proxy[-_]?)?auth(?:orization|entication)?$/i;
const ANY_SCHEME_WORD = String.raw`[A-Za-z][\w-]{0,63}`;
const ANY_SCHEME = new RegExp(`${ANY_SCHEME_WORD}(?![\\w-])`, 'y');
// What closes a bracket opened just before a pair's name, and what may follow that close (`(token=…),`).
const CLOSES: Record<string, string> = { '(': ')', '[': ']', '{': '}' };
const AFTER_CLOSE = ',.:!?';

/**
 * Each `name=value` whose name looks secret redacted, its encoding kept. A value whose name does
 * not is read on, so a query inside it (`next=/reset?token=…`, a Referer) is found too.
 */
function withoutSecretPairs(text: string): string {
  return replaceAfterMatches(text, PAIR_NAME, (match, start) => {
    if (!isSecret(decoded(match[1]!))) return undefined;
    const equals = match[2]!.trim();
    const end = pairValueEnd(text, start, equals === '=' ? 0 : (equals.length - 1) / 2, AUTH_NAME.test(decoded(match[1]!)));
    const stop = end - closingTail(text.slice(start, end), openersBefore(match[1]!));
    return [stop, quoted(text.slice(start, stop), REDACTED)];
  });
}

/** The brackets opened just before a pair's name, innermost last: `(` of `(token` and `fn(token`, `([` of `([token`; none of `(a)token`. */
function openersBefore(name: string): string {
  let end = name.length;
  while (end > 0 && !'()[]{}'.includes(name[end - 1]!)) end--;
  let start = end;
  while (start > 0 && '([{'.includes(name[start - 1]!)) start--;
  return name.slice(start, end);
}

/**
 * How much of a secret pair's value's end closes `openers` (and the punctuation after): 2 of `abc),` in
 * `(token=abc), retrying`, kept shown. Only as many as were opened, so `a(b))` keeps one and a value
 * ending in `)` after no opener goes whole. Bounded by the name's 100 characters.
 */
function closingTail(value: string, openers: string): number {
  let end = value.length;
  while (end > 0 && AFTER_CLOSE.includes(value[end - 1]!)) end--;
  for (let count = Math.min(openers.length, end); count > 0; count--) {
    let closes = true;
    for (let i = 0; i < count && closes; i++) closes = value[end - count + i] === CLOSES[openers[openers.length - 1 - i]!];
    if (closes) return value.length - (end - count);
  }
  return 0;
}

/**
 * `text` with what follows each match of `pattern` (global) replaced where `replacement` gives its end
 * and new text; matching goes on past a replaced part, or just past the match when `replacement` gives
 * nothing (a value whose name is not secret is read on, so a secret nested in it is found).
 */
function replaceAfterMatches(text: string, pattern: RegExp, replacement: (match: RegExpExecArray, start: number) => [end: number, text: string] | undefined): string {
  let out = '';
  let from = 0;
  pattern.lastIndex = 0;
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    const start = match.index + match[0].length;
    const replaced = replacement(match, start);
    if (replaced === undefined) continue;
    out += text.slice(from, start) + replaced[1];
    from = pattern.lastIndex = replaced[0];
  }
  return from === 0 ? text : out + text.slice(from);
}

/**
 * Where a secret pair's value ends: a quoted one (an attribute, `token="…"`) at its closing quote, else
 * at a separator as deep as its `=` (`depth`); one that is an auth scheme's word alone
 * (`Authorization=Bearer abc`) past the credential after it, as a `name: value` field's; after an
 * Authorization's name (`anyScheme`), any word is taken for its scheme.
 */
function pairValueEnd(text: string, start: number, depth: number, anyScheme = false): number {
  const quote = text[start];
  if (quote === '"' || quote === "'") {
    const close = text.indexOf(quote, start + 1);
    return close < 0 ? text.length : close + 1;
  }
  const stop = separatorAfter(text, start, depth);
  const scheme = anyScheme ? ANY_SCHEME : PAIR_SCHEME;
  scheme.lastIndex = start;
  if (!scheme.test(text) || scheme.lastIndex !== stop) return stop;
  SCHEME_GAP.lastIndex = stop;
  if (!SCHEME_GAP.test(text)) return stop;
  const credentialEnd = separatorAfter(text, SCHEME_GAP.lastIndex, depth);
  return credentialEnd > SCHEME_GAP.lastIndex ? credentialEnd : stop;
}

/** The first separator from `start` that ends a value as deep as `depth`, or the text's end. */
function separatorAfter(text: string, start: number, depth: number): number {
  const end = PAIR_VALUE_END[depth]!;
  end.lastIndex = start;
  return end.exec(text)?.index ?? text.length;
}

/** A name as its server reads it, however often encoded: `api%5Fkey` and `api%255Fkey` are `api_key`. */
function decoded(raw: string): string {
  for (let depth = 0; depth < 3 && raw.includes('%'); depth++) {
    try {
      raw = decodeURIComponent(raw);
    } catch {
      break;
    }
  }
  return raw;
}

// A JSON field (a body, GraphQL `variables` in a query) whose value is a string, maybe cut short at
// the captured length, or a number or literal; a secret's object or array goes whole (secretBlocks).
const JSON_FIELD = /"((?:[^"\\\n]|\\.){1,100})"(\s*:\s*)(?:"(?:[^"\\]|\\.)*"?|[^\s,}\]{["]+)/g;
// The same inside a JSON string (`{"payload":"{\"password\":\"…\"}"}`): its quotes escaped.
const ESCAPED_JSON_FIELD = /\\"([A-Za-z_][\w.-]{0,99})\\"(\s*:\s*)\\"[\s\S]*?(?:\\"|$)/g;
// A field whose value is an object or array.
const BLOCK_FIELD = /"((?:[^"\\\n]|\\.){1,100})"\s*:\s*(?=[[{])/g;
// `name: value` as GraphQL arguments, JavaScript objects, YAML and messages write it
// (`login(password:"…")`, `{password: '…'}`, `token: …`, `Authorization: Bearer …`, `API key: …`).
// A name of two words too: `API key: …`, where `key` alone is an ordinary field's name.
const COLON_NAME = /(?<![\w$\\.\/-])(['"]?)([A-Za-z_][\w.-]{0,99}(?: [A-Za-z_][\w.-]{0,40})?)\1\s*:[ \t]*/g;
// Its value: a string (its quotes escaped too, inside a JSON string), a credential with its scheme, or a word;
// an Authorization field's scheme any word.
const colonValue = (scheme: string) => new RegExp(String.raw`\\"(?:[^"\\]|\\[^"])*(?:\\"|$)|"(?:[^"\\]|\\.)*"?|'(?:[^'\\]|\\.)*'?|(?:${scheme}[ \t]+)?[^\s,;(){}[\]"'<>]+`, 'iy');
const COLON_VALUE = colonValue(AUTH_SCHEME);
const COLON_AUTH_VALUE = colonValue(ANY_SCHEME_WORD);
// A multipart part's value (`name="password"`, its headers, a blank line, the value), as a body
// labelled text may carry one.
const MULTIPART_FIELD = /(\bname="([^"\r\n]{1,100})"[^\r\n]*(?:\r?\n[^\r\n]+)*\r?\n\r?\n)([^\r\n]*)/g;
// An XML element holding text or CDATA (`<wsse:Password Type="…">…</wsse:Password>`, a SOAP header).
const XML_FIELD = /(<([A-Za-z_][\w.:-]{0,99})(?:\s[^<>]*)?>)(?:<!\[CDATA\[[\s\S]*?\]\]>|[^<]*)(<\/\2>)/g;

function withoutSecretFields(text: string): string {
  if (text.includes('"')) {
    if (text.includes('\\"')) text = text.replace(ESCAPED_JSON_FIELD, (field, name: string, colon: string) => (isSecretField(name) ? `\\"${name}\\"${colon}\\"${REDACTED}\\"` : field));
    text = secretBlocks(text).replace(JSON_FIELD, (field, name: string, colon: string) => (isSecretField(name) ? `"${name}"${colon}"${REDACTED}"` : field));
  }
  if (text.includes(':')) text = withoutColonFields(text);
  if (text.includes('name="')) text = text.replace(MULTIPART_FIELD, (field, head: string, name: string) => (isSecret(name) ? `${head}${REDACTED}` : field));
  if (text.includes('</')) text = text.replace(XML_FIELD, (field, open: string, name: string, close: string) => (isSecretField(name.slice(name.indexOf(':') + 1)) ? `${open}${REDACTED}${close}` : field));
  return text;
}

/** Each `name: value` whose name looks secret, its value redacted; a value whose name does not is read on. */
function withoutColonFields(text: string): string {
  return replaceAfterMatches(text, COLON_NAME, (match, start) => {
    if (!isSecretField(match[2]!)) return undefined;
    const auth = AUTH_NAME.test(match[2]!);
    const pattern = auth ? COLON_AUTH_VALUE : COLON_VALUE;
    pattern.lastIndex = start;
    const value = pattern.exec(text)?.[0];
    // A pair list (`Cookie: sid=…; theme=dark`) is the pairs' to redact, and has been.
    // Nor is a GraphQL variable (`password: $p`: its value is in `variables`) or a line number (`token.ts:12:5`).
    if (value === undefined || value.includes('[REDACTED') || text.startsWith('[REDACTED', start + value.length) || /^[^=]+=[^=]/.test(value) || /^\$\w|^\d+(?::\d+)?$/.test(value) || (!auth && isProse(text, start, value))) return undefined;
    return [start + value.length, quoted(value, REDACTED)];
  });
}

/** A plain short word with more words after it is a sentence (`Password: must be at least 8 characters`), not a credential. */
function isProse(text: string, start: number, value: string): boolean {
  return /^[A-Za-z]{1,11}$/.test(value) && /^ \S/.test(text.slice(start + value.length, start + value.length + 2));
}

/** `replacement` in the quotes `value` came in (`"…"`, `'…'`, `\"…\"`), or bare. */
function quoted(value: string, replacement: string): string {
  const quote = value.startsWith('\\"') ? '\\"' : value.startsWith('"') || value.startsWith("'") ? value[0]! : '';
  return `${quote}${replacement}${quote}`;
}

const CONTAINER = /^(?:o?auth(?:entication|orization)?|sessions?)$/i;

/** Each secret field's object or array as one `"[REDACTED]"` (to its text's end when cut short). */
function secretBlocks(text: string): string {
  if (!text.includes('{') && !text.includes('[')) return text;
  return replaceAfterMatches(text, BLOCK_FIELD, (match, start) => {
    // An object under `auth` or `session` holds its own fields (a provider, an expiry), each judged
    // by its name; one under `credentials` or `password` goes whole, as does a secret's array.
    if (!isSecretField(match[1]!) || (text[start] === '{' && CONTAINER.test(match[1]!))) return undefined;
    return [blockEnd(text, start), `"${REDACTED}"`];
  });
}

/** Where the object or array at `start` ends (past its closing bracket), strings read as strings; the text's end if it is cut short. */
function blockEnd(text: string, start: number): number {
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
    } else if (ch === '{' || ch === '[') depth++;
    else if ((ch === '}' || ch === ']') && --depth === 0) return i + 1;
  }
  return text.length;
}

// A field named in a list of name/value objects (a HAR, a form's fields): `{"name":"password","value":"…"}`;
// an HTML input's (`name="password" value="…"`); a header as a pair in an array (`["authorization","Bearer …"]`).
const NAMED_VALUE = /("name"\s*:\s*"([^"\\]{1,100})"\s*,\s*"value"\s*:\s*)"(?:[^"\\]|\\.)*"?/g;
const NAMED_ATTRIBUTE = /(\bname\s*=\s*"([^"]{1,100})"[^<>]*?\bvalue\s*=\s*)"[^"]*"?/g;
const NAMED_PAIR = /(\[\s*"([^"\\]{1,100})"\s*,\s*)"(?:[^"\\]|\\.)*"?/g;
// Credentials that say what they are whatever holds them: a PEM private key, a JWT.
const PEM_KEY = /-----BEGIN [A-Z ]{0,40}PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]{0,40}PRIVATE KEY-----|$)/g;
const JWT = /\beyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]+/g;
// Keys whose providers mark them by a prefix (Stripe, GitHub, GitLab, Slack, AWS, Google), and a Slack
// webhook's path: secret whatever field holds them.
const MARKED_KEY = /\b(?:(?:sk|rk)_(?:live|test)_|whsec_|gh[pousr]_|github_pat_|glpat-|xox[abpre]-|AKIA|ASIA|AIza)[\w-]{12,}|(?<=hooks\.slack\.com\/services\/)[\w/]{8,}/g;

/** `text` with every secret it holds redacted: its pairs, JSON, XML and `name: value` fields, URL passwords, private keys, JWTs and providers' marked keys. */
export function redactText(text: string): string {
  const bare = BARE_USERINFO.exec(text);
  if (bare) return `${bare[1]}:${REDACTED}@${bare[2]}`;
  let out = withoutUrlPasswords(withoutSecretFields(withoutSecretPairs(text)));
  const named = (field: string, head: string, name: string) => (isSecretField(name) ? `${head}"${REDACTED}"` : field);
  if (out.includes('"value"')) out = out.replace(NAMED_VALUE, named);
  if (out.includes('value=')) out = out.replace(NAMED_ATTRIBUTE, named);
  if (out.includes('["')) out = out.replace(NAMED_PAIR, named);
  if (out.includes('PRIVATE KEY-----')) out = out.replace(PEM_KEY, REDACTED);
  if (out.includes('eyJ')) out = out.replace(JWT, REDACTED);
  out = out.replace(MARKED_KEY, REDACTED);
  return out;
}

/**
 * A request's path as a sample or a span shows it: each segment's secrets redacted on its own (a JWT
 * or a provider-marked key as a segment, a `;jsessionid=` value), so that one redacted value never
 * takes the segments after it (`/a;sid=x/b` had lost its `/b`); then what spans segments (a URL's
 * password, a Slack webhook's path) over the whole. For sampled and traced requests only.
 */
export function shownPath(path: string, length: number = LIMITS.pathLength): string {
  // Read past the kept length as shownText does; each segment cut before the join, which copies:
  // a slice of the joined text would keep all of it alive (a record of a 16 KB path held 8 KB).
  const shown: string[] = [];
  let room = length;
  for (const segment of path.slice(0, 4 * length).split('/')) {
    if (shown.length > 0 && room-- <= 0) break;
    const text = PLAIN_SEGMENT.test(segment) ? segment : shownSegment(segment);
    shown.push(text.length > room ? clip(text, room) : text);
    room -= Math.min(text.length, room);
  }
  const joined = shown.join('/');
  if (!joined.includes('@') && !joined.includes('hooks.slack.com')) return joined;
  const whole = withoutUrlPasswords(joined).replace(MARKED_KEY, REDACTED);
  return whole === joined ? joined : ownCopy(clip(whole, length));
}

/**
 * A segment's secrets redacted. One that hides them in its encoding (`https%3A%2F%2Fu%3Apw%40host`,
 * `postgres:%2F%2Fu:pw@h`: a URL's password needs its `://`) is read decoded too, and when that finds
 * one it is shown decoded, its `/` kept encoded so that it stays one segment (a review).
 */
function shownSegment(segment: string): string {
  const redacted = redactText(segment);
  if (redacted !== segment || !segment.includes('%')) return redacted;
  const plain = decoded(segment);
  const fromPlain = plain === segment ? plain : redactText(plain);
  return fromPlain === plain ? segment : fromPlain.replaceAll('/', '%2F');
}

/** A segment none of the patterns can find a secret in: short, of URL-safe word characters alone (a hostile path of 4,096 `a`s cost 0.5 ms). */
const PLAIN_SEGMENT = /^[\w.~-]{0,11}$/;

/** A header's or query parameter's value as a span shows it: redacted whole if its name looks secret, else its secrets. */
export function shownValue(name: string, value: string): string {
  return isSecret(name) || isSchemeCredential(value) ? REDACTED : shownText(value);
}

/**
 * A value that says it is a credential (`Bearer …`, `Basic dXNlcjpw…`), whatever the name holding
 * it: a header the names miss (`X-Upstream-Authn`) carries one as plainly as Authorization does (a
 * review). What follows the scheme must look like a token: a digit, a symbol of base64 or a JWT,
 * or a capital inside it. A word does not (`Basic Subscription`, `Basic authentication failed`:
 * a review of the change), nor a challenge's `realm=`.
 */
function isSchemeCredential(value: string): boolean {
  const token = SCHEME_VALUE.exec(value)?.[1];
  return token !== undefined && !/^realm=/i.test(token) && /[\d+/=._~-]|.[A-Z]/.test(token);
}
const SCHEME_VALUE = /^[ \t]*(?:Bearer|Basic|Digest|Negotiate|NTLM|DPoP)[ \t]+([\w.~+/=:-]{8,})/i;

/** Text as a span shows it (a tag's value, a body, an error's or a log's message): its secrets redacted, cut to `length` (a tag's). */
export function shownText(text: string, length: number = LIMITS.tagValueLength): string {
  // Read no further than a real credential reaches past the kept length: a 16 KB header of made-up
  // URLs or parameters took 4-5 ms read whole, at most 1.7 ms so.
  const shown = redactText(text.slice(0, 4 * length)).slice(0, length);
  // Cut, it is a slice of the text given: a span kept would hold all of it (a review: 61 MB for 1,000 spans).
  return text.length > length ? ownCopy(shown) : shown;
}
