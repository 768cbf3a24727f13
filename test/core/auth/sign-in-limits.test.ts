// The sign-in limits as arithmetic: the backoff doubles and forgives; one client alone can never
// slow a credential for anyone else, however it times its attempts; trusted devices count alone.
import { describe, expect, test } from 'bun:test';
import { FailureLimiter } from '../../../src/core/auth/failure-limiter.ts';
import { SignInLimits } from '../../../src/core/auth/sign-in-limits.ts';
import { clientKey } from '../../../src/core/auth/client-key.ts';

const T0 = Date.UTC(2026, 0, 1);

describe('FailureLimiter', () => {
  test('free failures, then 1 s, 2 s, 4 s … capped; one failure forgiven per quiet period', () => {
    const limiter = new FailureLimiter({ free: 3, baseMs: 1000, capMs: 8000, forgiveMs: 60_000 });
    let now = T0;
    for (let i = 0; i < 3; i++) {
      expect(limiter.retryAfterMs('k', now)).toBe(0);
      limiter.fail('k', now);
    }
    const waits: number[] = [];
    for (let i = 0; i < 6; i++) {
      const wait = limiter.retryAfterMs('k', now);
      waits.push(wait);
      now += wait;
      limiter.fail('k', now);
    }
    expect(waits).toEqual([1000, 2000, 4000, 8000, 8000, 8000]);
    // 9 failures; after 3 quiet minutes 6 count: still past free, wait 8 s from the last failure (long gone).
    expect(limiter.retryAfterMs('k', now + 180_000)).toBe(0);
    limiter.fail('k', now + 180_000);
    expect(limiter.retryAfterMs('k', now + 180_000)).toBe(8000);
    // Long quiet: everything forgiven, the key forgotten.
    expect(limiter.retryAfterMs('k', now + 3_600_000)).toBe(0);
    limiter.fail('k', now + 3_600_000);
    expect(limiter.retryAfterMs('k', now + 3_600_000)).toBe(0);
  });

  test('success clears the key; memory is bounded by maxKeys (the least recent forgotten)', () => {
    const limiter = new FailureLimiter({ free: 1, maxKeys: 3 });
    for (const key of ['a', 'b', 'c', 'd']) limiter.fail(key, T0);
    expect(limiter.retryAfterMs('a', T0)).toBe(0);
    expect(limiter.retryAfterMs('d', T0)).toBe(1000);
    limiter.succeed('d');
    expect(limiter.retryAfterMs('d', T0)).toBe(0);
  });
});

describe('SignInLimits', () => {
  test('one client attacking as fast as it is allowed, for 24 hours, never makes anyone else wait', () => {
    const limits = new SignInLimits();
    const attacker = { client: '203.0.113.9', credential: 'apikey' };
    const user = { client: '198.51.100.4', credential: 'apikey' };
    let now = T0;
    let failures = 0;
    while (now < T0 + 86_400_000) {
      const wait = limits.retryAfterMs(attacker, now);
      if (wait === 0) {
        limits.failed(attacker, now);
        failures++;
      }
      // Probes at the worst moments: right after each failure and right before the next.
      expect(limits.retryAfterMs(user, now)).toBe(0);
      now += Math.max(1, wait);
    }
    // The attacker got its 5 free tries, then the backoff held it to about 4 an hour.
    expect(failures).toBeGreaterThan(5);
    expect(failures).toBeLessThan(5 + 12 + 4 * 24);
  });

  test('twenty-one clients with four failures each: the credential waits for strangers, not for trusted devices', () => {
    const limits = new SignInLimits();
    for (let c = 0; c < 21; c++) for (let i = 0; i < 4; i++) limits.failed({ client: `10.0.0.${c}`, credential: 'apikey' }, T0);
    expect(limits.retryAfterMs({ client: '10.0.1.1', credential: 'apikey' }, T0)).toBeGreaterThan(0);
    expect(limits.retryAfterMs({ client: '10.0.1.1', credential: 'basic' }, T0)).toBe(0);
    expect(limits.retryAfterMs({ client: '10.0.1.1', credential: 'apikey', device: 'dev-1' }, T0)).toBe(0);
    // A device's own failures count for it alone.
    for (let i = 0; i < 5; i++) limits.failed({ client: `10.0.2.${i}`, credential: 'apikey', device: 'dev-1' }, T0);
    expect(limits.retryAfterMs({ client: '10.0.3.1', credential: 'apikey', device: 'dev-1' }, T0)).toBe(1000);
    expect(limits.retryAfterMs({ client: '10.0.3.1', credential: 'apikey', device: 'dev-2' }, T0)).toBe(0);
  });

  test('success clears the client, not the credential: one sign-in does not end an attack from elsewhere', () => {
    const limits = new SignInLimits();
    for (let c = 0; c < 20; c++) limits.failed({ client: `10.0.0.${c}`, credential: 'basic' }, T0);
    for (let i = 0; i < 5; i++) limits.failed({ client: '10.9.9.9', credential: 'apikey' }, T0);
    limits.succeeded({ client: '10.9.9.9', credential: 'basic' });
    expect(limits.retryAfterMs({ client: '10.9.9.9', credential: 'apikey' }, T0)).toBe(0);
    expect(limits.retryAfterMs({ client: '10.8.8.8', credential: 'basic' }, T0)).toBe(1000);
  });
});

describe('clientKey', () => {
  test.each([
    ['203.0.113.9', '203.0.113.9'],
    ['::ffff:203.0.113.9', '203.0.113.9'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:0db8:0001:0002::9', '2001:db8:1:2::/64'],
    ['2001:DB8:1:2:ffff::1', '2001:db8:1:2::/64'],
    ['::1', '0:0:0:0::/64'],
    ['', 'unknown'],
    [null, 'unknown'],
  ])('%p → %p', (address, key) => {
    expect(clientKey(address)).toBe(key);
  });

  test('one IPv6 subscriber rotating through its /64 stays one client', () => {
    const keys = new Set(Array.from({ length: 50 }, (_, i) => clientKey(`2001:db8:aa:bb:${i.toString(16)}::${(i * 7).toString(16)}`)));
    expect([...keys]).toEqual(['2001:db8:aa:bb::/64']);
  });
});
