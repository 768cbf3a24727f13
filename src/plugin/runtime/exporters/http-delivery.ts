// One batch body POSTed with the shared OpenTelemetry retry rules (send-with-retry.ts, which
// uses the uninstrumented fetch), its outcome turned into a DeliveryResult fit to log.
import { COLLECTOR_RETRYABLE } from '../../../core/retry-policy.ts';
import { sendWithRetry, type RetryOptions } from '../send-with-retry.ts';
import type { TagValue } from '../../../core/wire-format.ts';
import type { BatchingOptions, DeliveryControl, DeliveryResult } from './batching-span-exporter.ts';
import { redactUrl } from './endpoint-url.ts';

/** The retry knobs an exporter config may set; `fetch` and `random` stay test-only. */
export type ExporterRetryOptions = Pick<RetryOptions, 'maxAttempts' | 'initialBackoffMs' | 'maxBackoffMs' | 'timeoutMs'>;

export interface HttpTarget {
  /** Full URL to POST to. */
  url: string;
  /** Extra headers (auth and the like): sent, never logged. */
  headers?: Record<string, string>;
  retry?: ExporterRetryOptions;
}

export type HttpDelivery = (DeliveryResult & { ok: true; responseBody: string }) | (DeliveryResult & { ok: false });

/**
 * `control`: the batching exporter's hold on the send : abandon() aborts it, and
 * the exit asks whether it is on the wire or asleep between attempts.
 */
export async function postBatch(target: HttpTarget, body: string | Uint8Array<ArrayBuffer>, contentType: string, control?: DeliveryControl): Promise<HttpDelivery> {
  const headers = new Headers(target.headers);
  headers.set('content-type', contentType);
  // A reason quotes the URL; the redacted form is swapped in so no credential in it reaches a log.
  const redacted = (reason: string) => reason.replaceAll(target.url, redactUrl(target.url));
  const onFailedAttempt = control?.onFailedAttempt;
  const outcome = await sendWithRetry(target.url, { method: 'POST', headers, body }, {
    ...target.retry, signal: control?.signal, onStage: control?.onStage, endAtLastCall: true, retryable: COLLECTOR_RETRYABLE,
    ...(onFailedAttempt && { onFailedAttempt: (reason: string) => onFailedAttempt(redacted(reason)) }),
  });
  if (outcome.ok) return { ok: true, responseBody: outcome.body };
  const attempts = outcome.attempts > 1 ? ` after ${outcome.attempts} attempts` : '';
  return { ok: false, reason: `${redacted(outcome.reason)}${attempts}` };
}

/** What every HTTP exporter (jaeger, zipkin, otlp) takes. */
export interface HttpExporterOptions extends BatchingOptions {
  /** Base URL of the backend (its signal path is appended) or the full URL to POST to. */
  endpoint: string;
  headers?: Record<string, string>;
  retry?: ExporterRetryOptions;
  /** `service.name` of the spans: Jaeger's process, Zipkin's localEndpoint, OTLP's resource. */
  serviceName: string;
  /** More attributes of the process: Jaeger process tags, OTLP resource attributes (Zipkin has no place for them). */
  resourceAttributes?: Record<string, TagValue>;
}
