// Escaping and bounding for the places notification text lands: HTML (email), Slack mrkdwn, mail
// headers, rule state. Rule names, routes and evaluator errors come from users or strangers; none is trusted.
import { visibleInLine } from '../../invisible-text.ts';

const HTML: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
/** Runs of C0 and C1 controls and line separators: what would break a line (or a header) where text lands. */
const CONTROL_RUNS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g;

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML[c]!);
}

/**
 * Text as typed in Slack mrkdwn. Slack escapes only &, < and > (`<!channel>`, `<url|text>`); for
 * the marks `*`, `_`, `~` and backticks, and for what it would make a link (`runbook.example`,
 * `https://…`), it has no escape: a zero-width space on each side of a mark (no bold or italics
 * whichever way Slack reads it) and after a `.` or `:` that would start a link keeps them as text.
 */
export function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/[*_~`]/g, '\u200b$&\u200b').replace(/\.(?=[a-z])|:(?=\/\/)/gi, '$&\u200b');
}

/**
 * Text in a Slack code span, copied as it is (no mark or link inside one, no zero-width space added):
 * for ids and app names. Rule ids cannot hold a backtick; one elsewhere would end the span and becomes ˋ.
 */
export function slackCode(text: string): string {
  // On one line: Slack's inline code ends at a line break, and the rest would be read as mrkdwn.
  return `\`${text.replace(CONTROL_RUNS, ' ').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/`/g, '\u02cb')}\``;
}

/**
 * Text on one line as it may be shown: control characters (CR/LF header injection, C1's terminal
 * escapes, a forged line in a chat message) become a space; bidirectional and zero-width ones U+FFFD;
 * emoji sequences and joiners stay (visibleInLine).
 */
export function flatLine(text: string): string {
  return visibleInLine(text.replace(CONTROL_RUNS, ' '));
}

/** One line for a header, subject or log, at most `max` characters (flatLine). */
export function oneLine(text: string, max: number): string {
  return truncate(flatLine(text).trim(), max);
}

export function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** The dashboard link, only when it is an http(s) URL (never `javascript:` in an email or a button). */
export function safeLink(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.href : undefined;
  } catch {
    return undefined;
  }
}

/** Longest text about one alert or rule error (an evaluator's error, an addAlert message). */
export const MAX_ALERT_TEXT = 500;
// Bounded again by every channel whatever made or stored the notification (one kept from before
// evaluators' results were clipped, or built by hand), so that no body grows with them.
/** A notification's message: a rule name (≤ 128), its metric and route (≤ 256) or its error (≤ 500) fit. */
export const MESSAGE_MAX = 1024;
/** A rule's description: what validateRule allows. */
export const DESCRIPTION_MAX = 1024;
const MAX_SHOWN_BIGINT = 10n ** 40n;

/**
 * At most `max` characters saying what a value from the app's code is, without throwing: a string
 * as itself, an Error as `Name: message`, an array by its length, another object by its tag and
 * first keys (`[object Object] {code, detail}`). Never its own toString, nor a whole array joined:
 * a toString that throws, a Proxy or a huge array costs no more than a short description.
 */
export function describeValue(value: unknown, max = MAX_ALERT_TEXT): string {
  try {
    if (typeof value === 'bigint') return value < MAX_SHOWN_BIGINT && value > -MAX_SHOWN_BIGINT ? `${value}n` : '(over 40 digits)';
    if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return truncate(String(value), max);
    if (isError(value)) return truncate(`${textOr(value.name, 'Error', max)}: ${textOr(value.message, '', max)}`, max);
    if (Array.isArray(value)) return `[object Array] (${Number(value.length)} items)`;
    return truncate(`${truncate(Object.prototype.toString.call(value), max)}${firstKeys(value)}`, max);
  } catch {
    // A Proxy's trap or a getter threw part way: say what little is safe to say.
    return `${typeof value} (unreadable)`;
  }
}

/** `value instanceof Error`, false when asking throws (a Proxy's getPrototypeOf trap). */
export function isError(value: unknown): value is Error {
  try {
    return value instanceof Error;
  } catch {
    return false;
  }
}

/** ` {a, b, …}`: the first five enumerable keys (for…in stops early where Object.keys lists them all). */
function firstKeys(value: object): string {
  const keys: string[] = [];
  for (const key in value) {
    keys.push(keys.length === 5 ? '…' : truncate(key, 40));
    if (keys.length > 5) break;
  }
  return keys.length > 0 ? ` {${keys.join(', ')}}` : '';
}

/** An Error's name or message cut to `max`; `fallback` when it is no string. */
function textOr(text: unknown, fallback: string, max: number): string {
  return typeof text === 'string' ? truncate(text, max) : fallback;
}
