// Sends alert email over SMTP with nodemailer, an optional peer dependency loaded only when an
// email channel first sends (an app without SMTP alerts never installs it), from a connection URL: smtp://user:pass@host:587 (STARTTLS when offered; ?requireTLS=true to
// insist) or smtps://user:pass@host:465 (TLS from the first byte).
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import type { Transporter } from 'nodemailer';

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

/** Why no email can go out until the app installs nodemailer: named in the one warning the channel logs. */
export const NODEMAILER_MISSING = 'nodemailer is not installed: `bun add nodemailer` to send alert email over SMTP';

async function loadNodemailer(): Promise<(typeof import('nodemailer'))['default']> {
  try {
    return (await import('nodemailer')).default;
  } catch (error) {
    throw Object.assign(new Error(NODEMAILER_MISSING, { cause: error }), { code: NODEMAILER_MISSING });
  }
}

/** nodemailer options from the URL; credentials are percent-decoded and never leave this object. */
export function smtpOptions(url: string): SMTPTransport.Options {
  const parsed = new URL(url);
  if (parsed.protocol !== 'smtp:' && parsed.protocol !== 'smtps:') throw new TypeError('SMTP URL: expected smtp:// or smtps://');
  const secure = parsed.protocol === 'smtps:';
  const options: SMTPTransport.Options = {
    host: parsed.hostname,
    port: parsed.port ? Number(parsed.port) : secure ? 465 : 587,
    secure,
    requireTLS: parsed.searchParams.get('requireTLS') === 'true',
    connectionTimeout: TIMEOUT_MS,
    greetingTimeout: TIMEOUT_MS,
    socketTimeout: TIMEOUT_MS,
  };
  if (parsed.username) options.auth = { user: decodeURIComponent(parsed.username), pass: decodeURIComponent(parsed.password) };
  return options;
}

export class SmtpMailer {
  private transport: Promise<Transporter<SMTPTransport.SentMessageInfo>> | undefined;

  constructor(private readonly url: string) {}

  /** Resolves (never rejects) with what happened; the reason names codes, never credentials. */
  async send(message: MailMessage): Promise<MailOutcome> {
    try {
      this.transport ??= loadNodemailer().then((nodemailer) => nodemailer.createTransport(smtpOptions(this.url)));
      await (await this.transport).sendMail(message);
      return { ok: true };
    } catch (error) {
      const e = error as { code?: unknown; responseCode?: unknown; name?: unknown };
      const code = typeof e.code === 'string' ? e.code : typeof e.name === 'string' ? e.name : 'Error';
      const responseCode = typeof e.responseCode === 'number' ? e.responseCode : undefined;
      // 4xx replies are temporary by SMTP's own definition; connection trouble may pass too.
      const retryable = responseCode !== undefined ? responseCode < 500 : ['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ECONNREFUSED'].includes(code);
      return { ok: false, retryable, reason: responseCode !== undefined ? `${code} (SMTP ${responseCode})` : code };
    }
  }
}
