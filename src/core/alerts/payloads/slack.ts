// Slack incoming-webhook message in Block Kit: what fired, its value against the threshold, the
// app, the severity, and a button to the dashboard.
import type { AlertNotification } from '../notification.ts';
import { escapeSlack, flatLine, safeLink, slackCode, truncate } from './escape.ts';
import { notificationFacts, stateTitle, type Fact, type PayloadOptions } from './facts.ts';

export interface SlackOptions extends PayloadOptions {
  /** Legacy webhooks only: post to this channel instead of the webhook's own. */
  channel?: string;
}

type TextObject = { type: 'plain_text' | 'mrkdwn'; text: string };

export interface SlackMessage {
  /** Fallback for notifications and clients without blocks. */
  text: string;
  channel?: string;
  blocks: Array<
    | { type: 'header'; text: TextObject }
    | { type: 'section'; text?: TextObject; fields?: TextObject[] }
    | { type: 'context'; elements: TextObject[] }
    | { type: 'actions'; elements: Array<{ type: 'button'; text: TextObject; url: string; style?: 'primary' | 'danger' }> }
  >;
}

const ICON = { critical: ':red_circle:', warning: ':large_orange_circle:', info: ':large_blue_circle:' } as const;
// Block Kit limits: header text 150, section text 3000, field text 2000, 10 fields per section, button URL 3000.
const HEADER_MAX = 150;
const TEXT_MAX = 3000;
const FIELD_MAX = 2000;
const FIELDS_MAX = 10;
const BUTTON_URL_MAX = 3000;

/**
 * @example
 * await fetch(webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json' },
 *   body: JSON.stringify(slackMessage(notification, { dashboardUrl: 'https://apm.example/performance?app=shop' })) });
 */
export function slackMessage(n: AlertNotification, options: SlackOptions = {}): SlackMessage {
  const icon = n.state === 'resolved' ? ':white_check_mark:' : n.state === 'error' ? ':warning:' : ICON[n.severity];
  const title = `${stateTitle(n)}: ${n.ruleName}${n.app ? ` (${n.app})` : ''}`;
  const facts = notificationFacts(n).filter((f) => f.label !== 'Alert id' && f.label !== 'Description');
  const message: SlackMessage = {
    text: truncate(escapeSlack(flatLine(`${title}: ${n.message}`)), TEXT_MAX),
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: truncate(flatLine(title), HEADER_MAX) } },
      { type: 'section', text: { type: 'mrkdwn', text: truncate(`${icon} ${escapeSlack(flatLine(n.message))}`, TEXT_MAX) } },
      {
        type: 'section',
        fields: facts.slice(0, FIELDS_MAX).map((f) => ({ type: 'mrkdwn' as const, text: truncate(`*${f.label}*\n${factText(n, f)}`, FIELD_MAX) })),
      },
    ],
  };
  if (n.description !== undefined) message.blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: truncate(escapeSlack(n.description), TEXT_MAX) }] });
  message.blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `Alert ${slackCode(n.id)} · bun-apm` }] });
  const link = safeLink(options.dashboardUrl);
  if (link !== undefined && link.length <= BUTTON_URL_MAX) {
    message.blocks.push({
      type: 'actions',
      elements: [{ type: 'button', text: { type: 'plain_text', text: 'Open dashboard' }, url: link, ...(n.state === 'firing' ? { style: 'danger' as const } : {}) }],
    });
  }
  if (options.channel) message.channel = options.channel;
  return message;
}

/** A fact's value in mrkdwn: the app and the rule id as code, to be copied as they are (resolveAlert and the API take them). */
function factText(n: AlertNotification, f: Fact): string {
  if (f.label === 'App') return slackCode(f.value);
  if (f.label === 'Rule') return `${escapeSlack(n.ruleName)} (${slackCode(n.ruleId)})`;
  // Values come from the data too (a route, an instance): one line, so that none forges another fact.
  return escapeSlack(flatLine(f.value));
}
