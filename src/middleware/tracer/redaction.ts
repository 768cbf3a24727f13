// What of a request's content a span may not carry: secrets by their name (a header, a query
// parameter) and inside any text a span keeps (a header's or query's value, a captured body, a
// thrown error's message): `name=value` pairs, JSON and XML fields, and a URL's password.
import { LIMITS } from '../../core/wire-format.ts';

export const REDACTED = '[REDACTED]';

// Whole words of a name, any case, split at `-`, `_`, `.` and camelCase (`X-Api-Key`, `clientSecret`):
// a query carries the same secrets as a header. `code` (OAuth) and `ticket` only alone.
const SECRET = /^(?:code|ticket)$|\b(?:(?:access|id|refresh|auth|csrf)?token|secrets?|passw(?:or)?d|pwd|pw|pass(?:phrase|code)?|bearer|(?:api|access|secret|private)?key|sig(?:nature)?|hmac|jwt|session|sessionid|jsessionid|phpsessid|sid|auth|authorization|cookie|[th]?otp|otpcode|[2m]fa|pin|ssn|cvv|cvc|credit ?card|card ?number|saml ?response|assertion|oidc|credentials?|creds|verifier|[cx]srf|appcheck|magic ?link|(?:sms|email|verification|confirmation|reset|login|security|device|one ?time|otp|invite|invitation|activation) ?code)\b/;
// Run-together names (`apitoken`, `x-sessiontoken`, `dbpassword`) are one word to the rule above, and a
// header's name is lowercase, so no camelCase tells its parts apart: each word is read by its ending too.
// No ordinary word ends in password, passphrase, passcode or secret, nor in token but for a few
// (`pagetoken`, `maxtokens`): any other word ending so counts (`githubtoken`, `csrfmiddlewaretoken`).
// key and pass end ordinary words (`monkey`, `compass`): those count only behind a prefix that
// qualifies nothing but a credential, a closed list, so `publickey` and `sortkey` stay shown.
const SECRET_COMPOUND = /\b(?:[a-z\d]*(?:passw(?:or)?d|pass(?:phrase|code)|secret)s?|[a-z\d]*token|(?:api|app|auth|oauth|access|session|private|secret|webhook|client|refresh|id|user|csrf|xsrf|bearer|security|master|admin|service|signing|encryption|account|storage|license|sas|hmac|shared|root|github|gh|npm|aws|stripe|db)+(?:token|key|pass|pwd|signature|cookie|credential)s?)\b/;
// Cursors, counts, public and lookup keys, oauth2-proxy's identity headers, and what is said of a
// secret rather than the secret (its type, method, policy, lifetime): harmless, and needed for debugging.
const HARMLESS = /\b(?:(?:page|next|continuation|sync|cursor|max|min|num|total|input|output|prompt|completion) ?tokens?|(?:public|sort|partition|primary|cache|object|idempotency|websocket|s3|bucket|hash|range|foreign) ?key|[a-z\d]*key id|auth request|(?:call|message|account|request|conference|recording|participant) sid|(?:token|auth|cookie|password|otp|pin|key|signature|session|mfa|2fa) (?:type|method|provider|policy|enabled|version|name|consent|format|algorithm|length|required|expires|expiry|expires in|user|reset sent|reset|sent|duration|timeout|ttl|lifetime|state)|[a-z\d]+ count)\b/g;

/** Whether a name (a header's, a parameter's, a field's) looks like it holds a secret. */
export function isSecret(name: string): boolean {
  // A number at a word's end numbers it (`password2`, `access_token2`); `s3`, `md5`, `2fa` stay as they are.
  const words = name.replace(/([a-z\d])([A-Z])/g, '$1 $2').toLowerCase().replace(/[^a-z\d]+/g, ' ').replace(/([a-z]{3,})\d+\b/g, '$1').trim();
  const kept = words.replace(HARMLESS, '');
  return SECRET.test(kept) || SECRET_COMPOUND.test(kept);
}

// A credential inside a value rather than its name: `dsn=https://u:pw@sentry.io/1`, a proxy or database
// URL in a header. Only the password goes; scheme, user, host and path stay for debugging.
const USERINFO = /\b[a-z][a-z\d+.-]{0,31}:\/\/[^\s/?#@:]*:/gi;
// A proxy's credentials without a scheme (`user:pass@proxy:3128`), as a whole value only: in running
// text a `name:x@y` is as often an address.
const BARE_USERINFO = /^([^\s:/@]{1,100}):(?!\/\/)[^\s@]+@([^\s@]+)$/;

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
const PAIR_NAME = /(?:^|[?&;,#\s]|%(?:25){0,2}(?:3[FfBb]|26|2[Cc]|23|20))\s?((?:[^\s=&#?;,%]|%[0-9A-Fa-f]{2}){1,100}?)(=|%3[Dd]|%253[Dd]|%25253[Dd])/g;
// A secret's value runs to the next separator as deep as its `=` or shallower, but `,` and `?` (a
// password may hold either): `token=a%26b` is one value, `…%3Ftoken%3Da%26lang%3Den` ends at `%26`.
const PAIR_VALUE_END = [/[\s&#;]/g, /[\s&#;]|%(?:26|23|3[Bb]|20)/g, /[\s&#;]|%(?:25)?(?:26|23|3[Bb]|20)/g, /[\s&#;]|%(?:25){0,2}(?:26|23|3[Bb]|20)/g];

/**
 * Each `name=value` whose name looks secret redacted, its encoding kept. A value whose name does
 * not is read on, so a query inside it (`next=/reset?token=…`, a Referer) is found too.
 */
function withoutSecretPairs(text: string): string {
  let out = '';
  let from = 0;
  PAIR_NAME.lastIndex = 0;
  for (let match = PAIR_NAME.exec(text); match !== null; match = PAIR_NAME.exec(text)) {
    if (!isSecret(decoded(match[1]!))) continue;
    const start = match.index + match[0].length;
    const end = PAIR_VALUE_END[(match[2]!.length - 1) / 2]!;
    end.lastIndex = start;
    const stop = end.exec(text)?.index ?? text.length;
    out += text.slice(from, start) + REDACTED;
    from = stop;
    PAIR_NAME.lastIndex = stop;
  }
  return from === 0 ? text : out + text.slice(from);
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
// the captured length, or a number or literal; a secret's object or array is left to its own fields.
const JSON_FIELD = /"((?:[^"\\\n]|\\.){1,100})"(\s*:\s*)("(?:[^"\\]|\\.)*"?|[^\s,}\]{["]+)/g;
// An XML element holding text only (`<password>…</password>`, a SOAP header).
const XML_FIELD = /<([A-Za-z_][\w.:-]{0,99})>([^<]*)<\/\1>/g;

function withoutSecretFields(text: string): string {
  if (text.includes('"')) {
    text = text.replace(JSON_FIELD, (field, name: string, colon: string) => (isSecret(name) ? `"${name}"${colon}"${REDACTED}"` : field));
  }
  if (text.includes('</')) text = text.replace(XML_FIELD, (field, name: string) => (isSecret(name.slice(name.indexOf(':') + 1)) ? `<${name}>${REDACTED}</${name}>` : field));
  return text;
}

/** `text` with every secret it holds redacted: its pairs, JSON and XML fields and URL passwords. */
export function redactText(text: string): string {
  const bare = BARE_USERINFO.exec(text);
  if (bare) return `${bare[1]}:${REDACTED}@${bare[2]}`;
  return withoutUrlPasswords(withoutSecretFields(withoutSecretPairs(text)));
}

/** A header's or query parameter's value as a span shows it: redacted whole if its name looks secret, else its secrets. */
export function shownValue(name: string, value: string): string {
  return isSecret(name) ? REDACTED : shownText(value);
}

/** Text as a span's tag shows it (a value, a body, an error's message): its secrets redacted, cut to a tag's length. */
export function shownText(text: string): string {
  // Read no further than a real credential reaches past the kept length: a 16 KB header of made-up
  // URLs or parameters took 4-5 ms read whole, at most 1.7 ms so.
  return redactText(text.slice(0, 4 * LIMITS.tagValueLength)).slice(0, LIMITS.tagValueLength);
}
