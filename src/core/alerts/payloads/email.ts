// Email content for a notification: a one-line subject, a plain-text body and an HTML body in
// which every value is escaped. The transport (SMTP in-process, send_email at the edge) is the host's.
import type { AlertNotification } from '../notification.ts';
import { escapeHtml, MESSAGE_MAX, oneLine, safeLink, truncate } from './escape.ts';
import { notificationFacts, stateTitle, type PayloadOptions } from './facts.ts';

export interface EmailContent {
  subject: string;
  text: string;
  html: string;
}

const SUBJECT_MAX = 200;
const flat = (value: string) => oneLine(value, Number.MAX_SAFE_INTEGER);
const COLOUR = { critical: '#b42318', warning: '#b54708', info: '#175cd3', resolved: '#067647' } as const;

/**
 * @example
 * const { subject, text, html } = emailContent(notification, { dashboardUrl });
 * await transport.sendMail({ from, to, subject, text, html });
 */
export function emailContent(n: AlertNotification, options: PayloadOptions = {}): EmailContent {
  // The instance (a gauge alert's worst one) is named too: which host to look at, from the inbox.
  const subject = oneLine(`[${stateTitle(n)}] [${n.severity}] ${n.ruleName}${n.app ? ` (${n.app})` : ''}${n.instance ? ` on instance ${n.instance}` : ''}`, SUBJECT_MAX);
  const facts = notificationFacts(n);
  const message = truncate(n.message, MESSAGE_MAX);
  const link = safeLink(options.dashboardUrl);
  const width = Math.max(...facts.map((f) => f.label.length));
  // Each value kept to one line: a line break in a name would fake lines (a forged fact, a link) in the text.
  const text = [
    flat(message),
    '',
    ...facts.map((f) => `${`${f.label}:`.padEnd(width + 2)}${flat(f.value)}`),
    ...(link ? ['', `Dashboard: ${link}`] : []),
    '',
    '-- ',
    'Sent by bun-apm alerting.',
    '',
  ].join('\n');
  const colour = n.state === 'resolved' ? COLOUR.resolved : COLOUR[n.severity];
  const rows = facts
    .map((f) => `<tr><th align="left" style="padding:2px 12px 2px 0">${escapeHtml(f.label)}</th><td style="padding:2px 0">${escapeHtml(flat(f.value))}</td></tr>`)
    .join('');
  const html = [
    '<!doctype html><html><body style="font-family:sans-serif;font-size:14px;color:#101828">',
    `<p style="font-weight:bold;color:${colour}">${escapeHtml(stateTitle(n))}: ${escapeHtml(n.ruleName)}</p>`,
    `<p>${escapeHtml(flat(message))}</p>`,
    `<table cellspacing="0" cellpadding="0">${rows}</table>`,
    link ? `<p><a href="${escapeHtml(link)}">Open the dashboard</a></p>` : '',
    '<p style="color:#667085;font-size:12px">Sent by bun-apm alerting.</p>',
    '</body></html>',
  ].join('');
  return { subject, text, html };
}
