// One POST of a notification: a redirect is never followed, but it is retried like a 5xx (a proxy's
// or a maintenance page's redirect passes; it had lost the alert for good), naming where it led
// by origin only.
import { expect, test } from 'bun:test';
import { postNotification } from '../../../src/core/alerts/notification-delivery.ts';

function answering(status: number, headers: Record<string, string> = {}) {
  const calls: Array<RequestInit | undefined> = [];
  const fetch = (async (_url: string, init?: RequestInit) => {
    calls.push(init);
    return new Response(null, { status, headers });
  }) as unknown as typeof globalThis.fetch;
  return { calls, post: () => postNotification('https://hooks.slack.com/services/T/B/secret', {}, '{}', { fetch, timeoutMs: 1000 }) };
}

test('a 3xx is retried, not followed, naming the origin it pointed to and no path or query', async () => {
  const away = answering(302, { location: 'https://maintenance.example:8443/down?token=abc' });
  expect(await away.post()).toEqual({ ok: false, retryable: true, reason: 'HTTP 302 to https://maintenance.example:8443 (redirects are not followed)' });
  expect(away.calls[0]!.redirect).toBe('manual');
  // A relative Location stays on the receiver's origin: the secret path is not repeated.
  expect(await answering(307, { location: '/elsewhere?x=1' }).post()).toEqual({ ok: false, retryable: true, reason: 'HTTP 307 to https://hooks.slack.com (redirects are not followed)' });
  expect(await answering(301).post()).toEqual({ ok: false, retryable: true, reason: 'HTTP 301 to no readable Location (redirects are not followed)' });
  expect(await answering(302, { location: 'javascript:alert(1)' }).post()).toMatchObject({ retryable: true, reason: 'HTTP 302 to no readable Location (redirects are not followed)' });
  // Other answers keep the shared policy.
  expect(await answering(404).post()).toEqual({ ok: false, retryable: false, reason: 'HTTP 404' });
  expect(await answering(204).post()).toEqual({ ok: true });
});
