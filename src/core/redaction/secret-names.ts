// Which names hold a secret: a header's, a query parameter's, a form's or a JSON field's. Whole
// words first, then words run together, then what is said of a secret rather than the secret.

// Whole words of a name, any case, split at `-`, `_`, `.` and camelCase (`X-Api-Key`, `clientSecret`):
// a query carries the same secrets as a header. `code` (OAuth) and `ticket` only alone.
const SECRET = /^(?:code|ticket)$|\b(?:(?:access|id|refresh|auth|csrf)?token|(?:access|id|refresh|auth|csrf|device|push|api|session|user|bearer) ?tokens|secrets?|passw(?:or)?ds?|pwd|pw|pass(?:phrase|code)?|bearer|(?:api|access|secret|private)?key|(?:api|access|secret|private|signing|encryption) ?keys|sig(?:nature)?|hmac|jwt|session|sessionid|jsessionid|phpsessid|sid|auth|authorization|authentication|authn|cookies?|[th]?otps?|otpcode|[2m]fa|pin|ssn|cvv|cvc|mnemonic|seed ?phrase|iban|account ?number|credit ?card|card ?number|saml ?response|assertion|oidc|credentials?|creds|verifier|[cx]srf|appcheck|magic ?link|(?:sms|email|verification|confirmation|reset|login|security|device|one ?time|otp|invite|invitation|activation) ?code)\b/;
// Run-together names (`apitoken`, `x-sessiontoken`, `dbpassword`) are one word to the rule above, and a
// header's name is lowercase, so no camelCase tells its parts apart: each word is read by its ending too.
// No ordinary word ends in password, passphrase, passcode or secret, nor in token but for a few
// (`pagetoken`, `maxtokens`): any other word ending so counts (`githubtoken`, `csrfmiddlewaretoken`).
// key and pass end ordinary words (`monkey`, `compass`): those count only behind a prefix that
// qualifies nothing but a credential, a closed list, so `publickey` and `sortkey` stay shown.
const SECRET_COMPOUND = /\b(?:[a-z\d]*(?:passw(?:or)?d|pass(?:phrase|code)|secret)s?|[a-z\d]*token|[a-z\d]+tokens|(?:api|app|auth|oauth|access|session|private|secret|webhook|client|refresh|id|user|csrf|xsrf|bearer|security|master|admin|service|signing|encryption|account|storage|license|sas|hmac|shared|root|github|gh|npm|aws|stripe|db)+(?:token|key|pass|pwd|signature|cookie|credential)s?)\b/;
// Cursors, counts, public and lookup keys, oauth2-proxy's identity headers, and what is said of a
// secret rather than the secret (its type, method, policy, lifetime): harmless, and needed for debugging.
const HARMLESS = /\b(?:(?:page|next|continuation|sync|cursor|max|min|num|total|input|output|prompt|completion) ?tokens?|(?:public|sort|partition|primary|cache|object|idempotency|websocket|s3|bucket|hash|range|foreign|lookup|row|map|dedup|dedupe|group) ?keys?|[a-z\d]*key id|auth request|(?:call|message|account|request|conference|recording|participant) sid|(?:token|auth|authentication|cookie|password|otp|pin|key|signature|session|mfa|2fa) (?:type|method|provider|policy|enabled|version|name|consent|format|algorithm|length|required|expires|expiry|expires in|user|reset sent|reset|sent|duration|timeout|ttl|lifetime|state)|[a-z\d]+ count)\b/g;

// Names seen again (a request's headers, an API's fields) are answered from here; cleared when full,
// so made-up names cannot grow it.
const verdicts = new Map<string, boolean>();

// In a body's fields `code`, `ticket` and `key` alone name an error's code, a product's or a lookup
// key far more often than OAuth's code or an API key (those come as a query or a form): shown there.
const PLAIN_IN_FIELDS = /^(?:code|ticket|key)$/i;

/** Whether a field's name (JSON, XML, `name: value`) looks like it holds a secret: isSecret, but for the words alone that name ordinary fields. */
export function isSecretField(name: string): boolean {
  return !PLAIN_IN_FIELDS.test(name) && isSecret(name);
}

/** Whether a name (a header's, a parameter's, a field's) looks like it holds a secret. */
export function isSecret(name: string): boolean {
  if (name.length > 100) return judge(name);
  let verdict = verdicts.get(name);
  if (verdict === undefined) {
    if (verdicts.size >= 2048) verdicts.clear();
    verdicts.set(name, (verdict = judge(name)));
  }
  return verdict;
}

function judge(name: string): boolean {
  // A number at a word's end numbers it (`password2`, `access_token2`); `s3`, `md5`, `2fa` stay as they are.
  const words = name.replace(/([a-z\d])([A-Z])/g, '$1 $2').toLowerCase().replace(/[^a-z\d]+/g, ' ').replace(/([a-z]{3,})\d+\b/g, '$1').trim();
  const kept = words.replace(HARMLESS, '');
  return SECRET.test(kept) || SECRET_COMPOUND.test(kept);
}
