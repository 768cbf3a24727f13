// The one retry policy: which answers are retried, how long each wait is (backoff, jitter,
// Retry-After, cap), and the in-call loop the exporters and the in-process delivery run.
import { describe, expect, test } from 'bun:test';
import {
  COLLECTOR_RETRYABLE, EXPORT_RETRYABLE, exponentialBackoff, fetchErrorOutcome, isRetryableStatus, parseRetryAfter, responseOutcome, retryWaitMs, scheduledBackoff, withRetries, type AttemptOutcome, type RetryPolicy,
} from '../../src/core/retry-policy.ts';

const NOW = Date.UTC(2026, 10, 28, 9, 0, 0);

describe('which answers are retried', () => {
  test('notifications: 408, 429, 500, 502, 503 and 504, and no other status', () => {
    const retried = [];
    for (let status = 100; status < 600; status++) if (isRetryableStatus(status)) retried.push(status);
    expect(retried).toEqual([408, 429, 500, 502, 503, 504]);
  });

  test('telemetry: the same but 500, which would hold every later batch behind one the receiver cannot take', () => {
    const retried = [];
    for (let status = 100; status < 600; status++) if (isRetryableStatus(status, EXPORT_RETRYABLE)) retried.push(status);
    expect(retried).toEqual([408, 429, 502, 503, 504]);
    expect(responseOutcome(500, null, NOW, EXPORT_RETRYABLE)).toEqual({ ok: false, retryable: false, reason: 'HTTP 500' });
  });

  test('a trace collector: OTLP/HTTP\'s list, 429, 502, 503 and 504 (a 408 is retried to the edge alone, a review)', () => {
    const retried = [];
    for (let status = 100; status < 600; status++) if (isRetryableStatus(status, COLLECTOR_RETRYABLE)) retried.push(status);
    expect(retried).toEqual([429, 502, 503, 504]);
  });

  test('2xx is delivered, a redirect is refused, a 4xx is final, a 503 carries its Retry-After', () => {
    expect(responseOutcome(204, null, NOW)).toEqual({ ok: true });
    expect(responseOutcome(302, null, NOW)).toEqual({ ok: false, retryable: false, reason: 'HTTP 302 (redirects are not followed)' });
    expect(responseOutcome(404, '5', NOW)).toEqual({ ok: false, retryable: false, reason: 'HTTP 404' });
    expect(responseOutcome(503, '7', NOW)).toEqual({ ok: false, retryable: true, reason: 'HTTP 503', retryAfterMs: 7000 });
    expect(responseOutcome(500, null, NOW)).toEqual({ ok: false, retryable: true, reason: 'HTTP 500' });
  });

  test('a thrown fetch is retried; its reason is a kind, never the message', () => {
    const refused = Object.assign(new TypeError('connect to https://hooks.slack.com/services/SECRET failed'), { code: 'ConnectionRefused' });
    expect(fetchErrorOutcome(refused)).toEqual({ ok: false, retryable: true, reason: 'network error (ConnectionRefused)' });
    expect(fetchErrorOutcome(new DOMException('late', 'TimeoutError'))).toEqual({ ok: false, retryable: true, reason: 'timeout' });
    expect(fetchErrorOutcome(Object.assign(new Error('x'), { code: 'has spaces / and https://x' }))).toEqual({ ok: false, retryable: true, reason: 'network error' });
    expect(fetchErrorOutcome('a string')).toEqual({ ok: false, retryable: true, reason: 'network error' });
  });

  test('Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('120', NOW)).toBe(120_000);
    expect(parseRetryAfter(new Date(NOW + 30_000).toUTCString(), NOW)).toBe(30_000);
    expect(parseRetryAfter(new Date(NOW - 30_000).toUTCString(), NOW)).toBe(0);
    expect(parseRetryAfter('soon', NOW)).toBeUndefined();
    // Not seconds, nor a date: Date.parse had read these as dates long past, a wait of 0.
    for (const unreadable of ['-1', '1.5', '+3', '1e3', 'Mon']) expect(parseRetryAfter(unreadable, NOW)).toBeUndefined();
    expect(parseRetryAfter('Sunday, 06-Nov-94 08:49:37 GMT', NOW)).toBe(0);
    expect(parseRetryAfter(null, NOW)).toBeUndefined();
  });

  // HTTP dates are all GMT, the asctime form's too though it names no zone: read in the process's
  // zone, a wait of 5 s was 12,605 s at St John's (−3:30, given up) and none at Kolkata (a review).
  test("every form of HTTP date is GMT, whatever the process's time zone", () => {
    const script = `
      const { parseRetryAfter } = await import(${JSON.stringify(new URL('../../src/core/retry-policy.ts', import.meta.url).pathname)});
      const now = Date.UTC(2026, 11, 3, 21, 45, 48);
      console.log(JSON.stringify(['Thu Dec  3 21:45:53 2026', 'Thu, 03 Dec 2026 21:45:53 GMT', 'Thursday, 03-Dec-26 21:45:53 GMT'].map((date) => parseRetryAfter(date, now))));`;
    for (const zone of ['UTC', 'America/St_Johns', 'Asia/Kolkata', 'Pacific/Chatham']) {
      const run = Bun.spawnSync([process.execPath, '-e', script], { env: { ...process.env, TZ: zone } });
      expect({ zone, waits: String(run.stdout).trim() }).toEqual({ zone, waits: '[5000,5000,5000]' });
    }
  });
});

describe('how long to wait', () => {
  const full: RetryPolicy = { backoffMs: exponentialBackoff(1000, 30_000), jitter: 1, maxWaitMs: 30_000 };

  test('exponential: 1, 2, 4 … s up to the cap; full jitter draws anywhere below', () => {
    const waits = [1, 2, 3, 4, 5, 6, 7].map((failed) => full.backoffMs(failed));
    expect(waits).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
    for (const failed of [1, 3, 6]) {
      expect(retryWaitMs(full, failed, undefined, () => 0)).toBe(0);
      expect(retryWaitMs(full, failed, undefined, () => 0.5)).toBe(Math.round(waits[failed - 1]! / 2));
      expect(retryWaitMs(full, failed, undefined, () => 0.999_999)).toBe(Math.round(waits[failed - 1]! * 0.999_999));
    }
  });

  test('a schedule repeats its last wait; a jitter of a tenth keeps each wait in its last tenth', () => {
    const minute = 60_000;
    const schedule: RetryPolicy = { backoffMs: scheduledBackoff([1, 1, 2, 5].map((m) => m * minute)), jitter: 0.1, maxWaitMs: 60 * minute };
    expect([1, 2, 3, 4, 5, 9].map((failed) => schedule.backoffMs(failed))).toEqual([1, 1, 2, 5, 5, 5].map((m) => m * minute));
    for (let i = 0; i < 200; i++) {
      const failed = 1 + (i % 6);
      const wait = retryWaitMs(schedule, failed);
      const base = schedule.backoffMs(failed);
      expect(wait).toBeGreaterThanOrEqual(Math.round(base * 0.9));
      expect(wait).toBeLessThanOrEqual(base);
    }
  });

  test('a Retry-After lengthens the backoff, never shortens it, capped at maxWaitMs', () => {
    expect(retryWaitMs(full, 1, 12_000, () => 0)).toBe(12_000);
    expect(retryWaitMs(full, 1, 3_600_000)).toBe(30_000);
    expect(retryWaitMs(full, 5, 0, () => 0.5)).toBe(8000);
    expect(retryWaitMs(full, 3, 1000, () => 0.999_999)).toBe(4000);
  });
});

describe('withRetries', () => {
  const policy: RetryPolicy = { backoffMs: exponentialBackoff(100, 10_000), jitter: 1, maxWaitMs: 10_000 };
  const fail = (retryable: boolean, retryAfterMs?: number): AttemptOutcome => ({ ok: false, retryable, reason: 'HTTP 503', ...(retryAfterMs !== undefined && { retryAfterMs }) });

  async function run(outcomes: AttemptOutcome[], maxAttempts: number) {
    const slept: number[] = [];
    const result = await withRetries(async (index) => outcomes[index]!, policy, { maxAttempts, random: () => 0.5, sleep: async (ms) => void slept.push(ms) });
    return { ...result, slept };
  }

  test('retries a retryable failure with the policy\'s waits until it succeeds', async () => {
    const { outcome, attempts, slept } = await run([fail(true), fail(true, 2500), { ok: true }], 5);
    expect(outcome).toEqual({ ok: true });
    expect(attempts).toBe(3);
    // 1st wait: half of 100 ms (random 0.5); 2nd: the receiver's Retry-After.
    expect(slept).toEqual([50, 2500]);
  });

  test('stops at a final failure, and after maxAttempts', async () => {
    expect(await run([fail(true), fail(false), { ok: true }], 5)).toMatchObject({ outcome: fail(false), attempts: 2, slept: [50] });
    expect(await run([fail(true), fail(true), fail(true), { ok: true }], 3)).toMatchObject({ outcome: fail(true), attempts: 3, slept: [50, 100] });
  });
});
