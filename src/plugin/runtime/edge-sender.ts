// POSTs one gzip'd batch to `{endpoint}/v1/ingest` with the ingest key, under the shared
// OpenTelemetry retry rules (send-with-retry.ts, which uses the uninstrumented fetch), and tells the
// batcher what its attempts met: no edge at all as it happens, a send bun-apm cut short as such.
import { wellFormed } from '../../core/invisible-text.ts';
import { INSTANCE_HEADER } from '../../core/wire-format.ts';
import type { PendingBatch } from './pending-data.ts';
import { redactUrl } from './exporters/endpoint-url.ts';
import type { OutageLog } from './outage-log.ts';
import { sendWithRetry, type RetryOptions, type SendOutcome } from './send-with-retry.ts';

export interface EdgeTarget {
  /** Base URL, no trailing slash. */
  endpoint: string;
  ingestKey?: string;
  sdkVersion: string;
  /** identity.instance of every batch: named in a header so a sharded edge picks its store without reading the body. */
  instance?: string;
}

export function ingestUrl(endpoint: string): string {
  return `${endpoint}/v1/ingest`;
}

/** The request headers of an ingest POST; the key is sent, never logged. */
export function ingestHeaders(target: EdgeTarget): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'content-encoding': 'gzip',
    'user-agent': `bun-apm/${target.sdkVersion}`,
  };
  if (target.ingestKey) headers.authorization = `Bearer ${target.ingestKey}`;
  // Well-formed, as the edge reads the batch's own (a lone half of a pair as U+FFFD): the two agree,
  // and encodeURIComponent cannot throw (it did, and every batch of the instance was lost).
  if (target.instance !== undefined) headers[INSTANCE_HEADER] = encodeURIComponent(wellFormed(target.instance));
  return headers;
}

/** What the batcher hears of one send while its attempts go on. */
export interface SendWatch {
  /** An attempt met no edge at all (refused, DNS, TLS, reset): said at once, not after every retry has waited. */
  unreachable(reason: string): void;
  /** The edge answered that it cannot take data now and asked for a long wait (Retry-After): said at once too. */
  busy(reason: string): void;
}

/** A Retry-After at least this long is an outage said at once: the retries that wait it out take minutes. */
const LONG_RETRY_AFTER_MS = 30_000;

/**
 * A send's outcome; `cutShort`: its last attempt was cut short by bun-apm itself (the app stopped
 * serving, the process ends), which is no news of the edge, and `reason` is then the last failure an
 * attempt met on the wire, if any.
 */
export type EdgeSendOutcome = SendOutcome & { cutShort?: true };

export type EdgeSend = (batch: PendingBatch, watch?: SendWatch) => Promise<EdgeSendOutcome>;

export function createEdgeSender(target: EdgeTarget, retry: RetryOptions, outage?: OutageLog): EdgeSend {
  const url = ingestUrl(target.endpoint);
  const safe = redactUrl(url);
  // The same body (and so the same batch id) goes out on every attempt.
  return async (batch, watch) => {
    /** The last failure an attempt met on the wire; bun-apm's own halts are not among them. */
    let cause: string | undefined;
    let cutShort = false;
    /** Attempts in a row that reached no edge. */
    let unanswered = 0;
    const watched: RetryOptions = {
      ...retry,
      onFailedAttempt: (reason, ending, retryAfterMs) => {
        // A var of the edge's that it cannot use is answered 503 (retried: the data arrives once it is
        // fixed), but its five attempts each wait out a minute's Retry-After: said at the first, not after
        // five minutes of silence (a review), as the start of an outage the batcher ends.
        if (ending === 'answered' && reason.includes('config_error')) {
          outage?.started(`the edge's own settings are wrong, so it takes no data (${reason.replaceAll(url, safe)}); the data is kept and sent once they are fixed`);
        }
        // A send bun-apm halted (the shutdown stops sends in flight) had been said as an outage, with
        // "AbortError" as its cause, after the exit's own line (a newcomer's review).
        cutShort = ending === 'halted';
        if (cutShort) return;
        cause = reason.replaceAll(url, safe);
        // Five attempts of backoff had said a refused connection ~6 s late, or never before a deploy's
        // SIGTERM (a newcomer's review): no edge twice in a row is news at once. Once is not (a
        // connection dropped by a load balancer, got past by the next attempt: a review), nor an
        // answer or a timeout before the last attempt, as a slow or busy edge often recovers within the retries.
        unanswered = ending === 'no answer' ? unanswered + 1 : 0;
        if (unanswered === 2) watch?.unreachable(cause);
        // An edge that asks for a long wait (a 503 or 429 with Retry-After: 120) had been said only once
        // every attempt had waited it out, minutes later: it is news at its first answer.
        if (ending === 'answered' && retryAfterMs !== undefined && retryAfterMs >= LONG_RETRY_AFTER_MS) watch?.busy(`${cause}; it asks to wait ${Math.ceil(retryAfterMs / 1000)} s`);
      },
    };
    // Made per batch: the instance they name may be settled only at the first Bun.serve (reusePort).
    const outcome = await sendWithRetry(url, { method: 'POST', headers: ingestHeaders(target), body: batch.body }, watched);
    // Outcomes end up on stderr: no credentials from the URL in them.
    if (!outcome.ok && outcome.retryable && cutShort) return { ...outcome, reason: cause ?? outcome.reason.replaceAll(url, safe), cutShort: true };
    if (!outcome.ok) return { ...outcome, reason: outcome.reason.replaceAll(url, safe) };
    // A proxy's error page or an app's catch-all answering 200 had been taken for delivery, unsaid.
    if (!isEdgeAnswer(outcome.body)) return { ok: false, retryable: false, status: outcome.status, attempts: outcome.attempts, reason: notAnEdge(outcome.status, safe) };
    return outcome;
  };
}

/** The edge answers every batch it takes with a JSON object; anything else came from another server. */
function isEdgeAnswer(body: string): boolean {
  const answer = parsed(body);
  return typeof answer === 'object' && !Array.isArray(answer);
}

function notAnEdge(status: number, url: string): string {
  return `HTTP ${status} from ${url} was not a bun-apm edge's answer (no JSON object), so nothing is known to have arrived: is BUN_APM_ENDPOINT the edge's URL? (\`bunx bun-apm doctor\` checks it)`;
}

/**
 * What an ingest answer tells the client, read with one parse: the caps it names (`limits`:
 * maxBodyBytes, maxRollups, maxSamples, …) and the wire additions it takes (`accepts`), for the
 * batches after it; {} and [] for an answer without them (an older edge, another sink).
 */
export function answerOf(body: string): { limits: Record<string, unknown>; accepts: unknown[] } {
  const answer = body.includes('"limits"') || body.includes('"accepts"') ? parsed(body) : undefined;
  const limits = answer?.limits;
  return {
    limits: limits !== null && typeof limits === 'object' && !Array.isArray(limits) ? (limits as Record<string, unknown>) : {},
    accepts: Array.isArray(answer?.accepts) ? answer.accepts : [],
  };
}

function parsed(body: string): { limits?: unknown; accepts?: unknown } | undefined {
  try {
    return (JSON.parse(body) as { limits?: unknown; accepts?: unknown } | null) ?? undefined;
  } catch {
    return undefined; // not JSON: nothing learnt
  }
}

