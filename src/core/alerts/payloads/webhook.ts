// The generic webhook: a JSON body, a bearer token, and an HMAC-SHA256 signature over
// `${timestamp}.${body}` (Stripe's scheme) so that a receiver can check who sent it and when.
import type { AlertNotification } from '../notification.ts';
import { DESCRIPTION_MAX, MAX_ALERT_TEXT, MESSAGE_MAX, safeLink, truncate } from './escape.ts';
import type { PayloadOptions } from './facts.ts';

/** Unix seconds when the request was signed. */
export const WEBHOOK_TIMESTAMP_HEADER = 'x-bun-apm-timestamp';
/** `v1=<hex HMAC-SHA256(secret, timestamp + "." + body)>`; several comma-separated during a secret rotation. */
export const WEBHOOK_SIGNATURE_HEADER = 'x-bun-apm-signature';
/** The notification's key: the same on every retry of one delivery, so receivers can drop duplicates. */
export const WEBHOOK_DELIVERY_HEADER = 'x-bun-apm-delivery';
/** Receivers should refuse timestamps further than this from their clock (replays). */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

/** The JSON body, version 1. Times are ms since the epoch. */
export interface WebhookBody {
  version: 1;
  /** The alert (same for its firing and resolved notifications). */
  id: string;
  /** This notification (same across retries). */
  key: string;
  app: string | null;
  ruleId: string;
  ruleName: string;
  severity: AlertNotification['severity'];
  state: AlertNotification['state'];
  metric: AlertNotification['metric'];
  condition: AlertNotification['condition'];
  value: number | null;
  threshold: number;
  /** Evaluation window, ms. */
  window: number;
  route: string | null;
  method: string | null;
  instance: string | null;
  message: string;
  description: string | null;
  startsAt: number;
  endsAt: number | null;
  timestamp: number;
  repeat: boolean;
  resolvedBy: string | null;
  error: string | null;
  dashboardUrl: string | null;
}

export interface WebhookOptions extends PayloadOptions {
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** HMAC key; default the token. Without either the request is not signed. */
  secret?: string;
  /** Signing time, ms (the caller's clock, injected for tests). */
  now: number;
}

export function webhookBody(n: AlertNotification, options: PayloadOptions = {}): WebhookBody {
  return {
    version: 1,
    id: n.id,
    key: n.key,
    app: n.app ?? null,
    ruleId: n.ruleId,
    ruleName: n.ruleName,
    severity: n.severity,
    state: n.state,
    metric: n.metric,
    condition: n.condition,
    value: n.value,
    threshold: n.threshold,
    window: n.window,
    route: n.route ?? null,
    method: n.method ?? null,
    instance: n.instance ?? null,
    message: truncate(n.message, MESSAGE_MAX),
    description: n.description === undefined ? null : truncate(n.description, DESCRIPTION_MAX),
    startsAt: n.startsAt,
    endsAt: n.endsAt ?? null,
    timestamp: n.timestamp,
    repeat: n.repeat ?? false,
    resolvedBy: n.resolvedBy ?? null,
    error: n.error === undefined ? null : truncate(n.error, MAX_ALERT_TEXT),
    dashboardUrl: safeLink(options.dashboardUrl) ?? null,
  };
}

/**
 * The body and headers of one webhook delivery.
 *
 * @example
 * const { body, headers } = await webhookRequest(notification, { token, now: Date.now() });
 * await fetch(url, { method: 'POST', headers, body, redirect: 'manual' });
 */
export async function webhookRequest(n: AlertNotification, options: WebhookOptions): Promise<{ body: string; headers: Record<string, string> }> {
  const body = JSON.stringify(webhookBody(n, options));
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'bun-apm-alerting/1',
    [WEBHOOK_DELIVERY_HEADER]: n.key,
  };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const secret = options.secret || options.token;
  if (secret) {
    const timestamp = Math.floor(options.now / 1000);
    headers[WEBHOOK_TIMESTAMP_HEADER] = String(timestamp);
    headers[WEBHOOK_SIGNATURE_HEADER] = `v1=${await signWebhook(secret, timestamp, body)}`;
  }
  return { body, headers };
}

/** Lowercase hex HMAC-SHA256(secret, `${timestamp}.${body}`). */
export async function signWebhook(secret: string, timestamp: number, body: string): Promise<string> {
  const key = await hmacKey(secret, ['sign']);
  const mac = await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(`${timestamp}.${body}`));
  return [...new Uint8Array(mac)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * What a receiver runs (also usable by one written with bun-apm): true when one `v1=` signature
 * matches the raw body and the timestamp is within tolerance. The comparison is crypto.subtle's,
 * constant-time.
 */
export async function verifyWebhookSignature(
  secret: string,
  headers: { timestamp: string | null; signature: string | null },
  rawBody: string,
  nowMs: number,
  toleranceSeconds = WEBHOOK_TOLERANCE_SECONDS,
): Promise<boolean> {
  if (headers.timestamp === null || headers.signature === null || !/^\d{1,12}$/.test(headers.timestamp)) return false;
  const timestamp = Number(headers.timestamp);
  if (Math.abs(nowMs / 1000 - timestamp) > toleranceSeconds) return false;
  const key = await hmacKey(secret, ['verify']);
  const data = new TextEncoder().encode(`${timestamp}.${rawBody}`);
  for (const part of headers.signature.split(',')) {
    const match = /^\s*v1=([0-9a-f]{64})\s*$/.exec(part);
    if (match === null) continue;
    const mac = new Uint8Array(32);
    for (let i = 0; i < 32; i++) mac[i] = parseInt(match[1]!.slice(i * 2, i * 2 + 2), 16);
    if (await crypto.subtle.verify('HMAC', key, mac, data)) return true;
  }
  return false;
}

// Literal usages rather than the DOM lib's KeyUsage, so an app compiling without DOM types still checks this file.
function hmacKey(secret: string, usages: Array<'sign' | 'verify'>): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, usages);
}
