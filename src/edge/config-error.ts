// The error of a var or secret that can't be used: the one ConfigError of every host
// (src/core/config), named here so the Worker's modules keep one short import.
export { ConfigError } from '../core/config/config-error.ts';

/**
 * A bad var is an outage the operator ends by fixing it, so it is answered as one: 503 with this
 * Retry-After (seconds), never 500. An app's sender takes a 500 as final for its batch
 * (core/retry-policy.ts, EXPORT_RETRYABLE) and would drop every request sent meanwhile; a 503 it
 * keeps and retries, and the data arrives once the var is fixed.
 */
export const CONFIG_ERROR_STATUS = 503;
export const CONFIG_RETRY_AFTER_SECONDS = 60;
export const CONFIG_ERROR_HEADERS: Readonly<Record<string, string>> = { 'retry-after': String(CONFIG_RETRY_AFTER_SECONDS) };
