// Sends alert email over SMTP with nodemailer, an optional peer dependency loaded only when an
// email channel first sends (an app without SMTP alerts never installs it), from a connection URL:
// smtp://user:pass@host:587 (STARTTLS, insisted on when there are credentials and the host is not
// loopback; ?requireTLS=true to insist always, ?requireTLS=false never) or smtps://user:pass@host:465
// (TLS from the first byte); ?tlsRejectUnauthorized=false accepts a certificate that does not verify.

// The little of nodemailer used here, declared locally: it is an optional peer, so an app without it
// (or without @types/nodemailer) must still type-check this file.
export interface SmtpOptions {
  host: string;
  port: number;
  secure: boolean;
  requireTLS: boolean;
  connectionTimeout: number;
  greetingTimeout: number;
  socketTimeout: number;
  auth?: { user: string; pass: string };
  tls?: { rejectUnauthorized: boolean };
}
interface SmtpTransport {
  sendMail(message: MailMessage & { signal?: AbortSignal }): Promise<SentInfo>;
}
/** What nodemailer says of a message sent: the recipients the server refused, when it took the others. */
interface SentInfo {
  rejected?: unknown;
  rejectedErrors?: unknown;
}
interface Nodemailer {
  createTransport(options: SmtpOptions): SmtpTransport;
}

export interface MailMessage {
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string;
  headers?: Record<string, string>;
}

export type MailOutcome = { ok: true } | { ok: false; retryable: boolean; reason: string };

const TIMEOUT_MS = 10_000;
/**
 * A whole attempt, every step together: nodemailer's timeouts are each a step's silence, and a
 * server trickling a line every 5 s had held one attempt 65 s, and flush() and the exit with it (a review).
 */
export const SMTP_ATTEMPT_MS = 3 * TIMEOUT_MS;

/** Why no email can go out until the app installs nodemailer: named in the one warning the channel logs. */
export const NODEMAILER_MISSING = 'nodemailer is not installed: `bun add nodemailer` to send alert email over SMTP';

async function loadNodemailer(): Promise<Nodemailer> {
  // A specifier in a variable, so that type checkers and bundlers don't go looking for the optional peer.
  const specifier = 'nodemailer';
  try {
    return ((await import(specifier)) as { default: Nodemailer }).default;
  } catch (error) {
    throw Object.assign(new Error(NODEMAILER_MISSING, { cause: error }), { code: NODEMAILER_MISSING });
  }
}

/** localhost, 127.0.0.0/8 or ::1 (as a URL spells them): the only hosts credentials may go to in clear. */
export function isLoopback(host: string): boolean {
  return /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/i.test(host);
}

const SMTP_OPTIONS = ['requireTLS', 'tlsRejectUnauthorized'];

/** An error whose code is its message, so the logged reason says what to fix; it names options, never their values. */
function urlError(message: string): Error {
  return Object.assign(new TypeError(message), { code: message });
}

/** A query parameter that is true or false (in any case), or undefined when absent. */
function flag(parsed: URL, name: string): boolean | undefined {
  const value = parsed.searchParams.get(name)?.toLowerCase();
  if (value !== undefined && value !== 'true' && value !== 'false') throw urlError(`SMTP URL: ?${name} must be true or false`);
  return value === undefined ? undefined : value === 'true';
}

/**
 * nodemailer options from the URL; credentials are percent-decoded and never leave this object.
 * With credentials, STARTTLS is required (nodemailer then never sends AUTH in clear) unless the
 * host is loopback or the URL says `?requireTLS=false`.
 */
export function smtpOptions(url: string): SmtpOptions {
  const parsed = new URL(url);
  if (parsed.protocol !== 'smtp:' && parsed.protocol !== 'smtps:') throw urlError('SMTP URL: expected smtp:// or smtps://');
  // nodemailer would send without AUTH, so the server would refuse or, worse, relay unauthenticated.
  if (parsed.password && !parsed.username) throw urlError('SMTP URL: a password without a user name (smtp://user:pass@host)');
  // A misspelt or repeated option would be ignored without a word, and TLS decided otherwise than asked.
  for (const name of new Set(parsed.searchParams.keys())) {
    if (!SMTP_OPTIONS.includes(name)) throw urlError(`SMTP URL: ?${name} is unknown (known: ${SMTP_OPTIONS.join(', ')})`);
    if (parsed.searchParams.getAll(name).length > 1) throw urlError(`SMTP URL: ?${name} is given more than once`);
  }
  const secure = parsed.protocol === 'smtps:';
  const options: SmtpOptions = {
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: parsed.port ? Number(parsed.port) : secure ? 465 : 587,
    secure,
    requireTLS: flag(parsed, 'requireTLS') ?? (!secure && parsed.username !== '' && !isLoopback(parsed.hostname)),
    connectionTimeout: TIMEOUT_MS,
    greetingTimeout: TIMEOUT_MS,
    socketTimeout: TIMEOUT_MS,
  };
  if (flag(parsed, 'tlsRejectUnauthorized') === false) options.tls = { rejectUnauthorized: false };
  if (parsed.username) options.auth = { user: decodeURIComponent(parsed.username), pass: decodeURIComponent(parsed.password) };
  return options;
}

export class SmtpMailer {
  private transport: Promise<SmtpTransport> | undefined;

  constructor(
    private readonly url: string,
    private readonly attemptMs = SMTP_ATTEMPT_MS,
  ) {}

  /** Resolves (never rejects) with what happened; the reason names codes, never credentials. */
  async send(message: MailMessage): Promise<MailOutcome> {
    try {
      this.transport ??= loadNodemailer().then((nodemailer) => nodemailer.createTransport(smtpOptions(this.url)));
      const transport = await this.transport;
      // nodemailer 10.5 and later close the connection at the signal; the race ends the attempt with older ones too.
      const signal = AbortSignal.timeout(this.attemptMs);
      const sent = transport.sendMail({ ...message, signal });
      sent.catch(() => undefined);
      const info = await Promise.race([sent, abortOf(signal)]);
      return refusedSome(info) ?? { ok: true };
    } catch (error) {
      if ((error as { name?: unknown })?.name === 'TimeoutError' || (error as { code?: unknown })?.code === 'EABORT') {
        return { ok: false, retryable: true, reason: `ETIMEDOUT (the SMTP exchange took over ${this.attemptMs / 1000} s)` };
      }
      const e = error as { code?: unknown; responseCode?: unknown; name?: unknown; originalCode?: unknown; cause?: { code?: unknown } };
      const code = typeof e.code === 'string' ? e.code : typeof e.name === 'string' ? e.name : 'Error';
      const responseCode = typeof e.responseCode === 'number' ? e.responseCode : undefined;
      // nodemailer keeps the TLS error's code (DEPTH_ZERO_SELF_SIGNED_CERT, ERR_TLS_CERT_ALTNAME_INVALID, …) as originalCode.
      const certificate = [e.originalCode, e.cause?.code].find((c): c is string => typeof c === 'string' && /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)/.test(c));
      if (certificate !== undefined) {
        // Not retried: the certificate will be the same on the next attempt.
        const fix = certificate.includes('ALTNAME') ? 'it names another host: use the host it names in the URL' : 'trust its CA with NODE_EXTRA_CA_CERTS, or ?tlsRejectUnauthorized=false to skip the check';
        return { ok: false, retryable: false, reason: `${code} (${certificate}): the SMTP server's certificate did not verify, so nothing was sent (${fix})` };
      }
      // 4xx replies are temporary by SMTP's own definition; connection trouble may pass too.
      const retryable = responseCode !== undefined ? responseCode < 500 : ['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ECONNREFUSED'].includes(code);
      // nodemailer wraps a socket's error as ESOCKET: the socket's own code (ECONNREFUSED) is what an engineer acts on.
      const underlying = typeof e.originalCode === 'string' && /^[A-Z_]{2,40}$/.test(e.originalCode) && e.originalCode !== code ? ` (${e.originalCode})` : '';
      const reason = responseCode !== undefined ? `${code} (SMTP ${responseCode})` : code + underlying;
      // Spelt out, as the fix is the app's: no mail goes until the server offers STARTTLS or the URL changes.
      const refused = code === 'ETLS' && responseCode !== undefined ? ': the server refused STARTTLS, which this SMTP URL requires, so nothing was sent (use smtps://, or ?requireTLS=false to send in clear)' : '';
      return { ok: false, retryable, reason: reason + refused };
    }
  }
}

/** Rejects with the signal's reason once it aborts. */
function abortOf(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
}

/**
 * A message the server took for some recipients and refused for others: the others got it, so it
 * is not sent again (they would get it twice), and the refused are named (they had gone unsaid; a review).
 */
function refusedSome(info: SentInfo | undefined): MailOutcome | undefined {
  const rejected = Array.isArray(info?.rejected) ? info.rejected.filter((r): r is string => typeof r === 'string') : [];
  if (rejected.length === 0) return undefined;
  const errors = Array.isArray(info?.rejectedErrors) ? (info.rejectedErrors as Array<{ responseCode?: unknown }>) : [];
  const codes = [...new Set(errors.map((e) => e?.responseCode).filter((c): c is number => typeof c === 'number'))];
  const shown = rejected.slice(0, 5).map((r) => r.slice(0, 254)).join(', ') + (rejected.length > 5 ? `, and ${rejected.length - 5} more` : '');
  return { ok: false, retryable: false, reason: `EENVELOPE${codes.length ? ` (SMTP ${codes.join(', ')})` : ''}: the server refused ${shown}; the other recipients got it` };
}
