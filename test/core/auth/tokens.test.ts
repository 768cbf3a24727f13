// Session, CSRF and device tokens, safe `next` targets and constant-time comparison, as functions.
import { describe, expect, test } from 'bun:test';
import { secretsEqual } from '../../../src/core/auth/secrets.ts';
import { csrfToken, newSessionId, signSession, verifyCsrf, verifySession } from '../../../src/core/auth/session.ts';
import { signDevice, verifyDevice } from '../../../src/core/auth/trusted-device.ts';
import { safeNext } from '../../../src/core/dashboard/safe-next.ts';

const SECRET = 'secret-0123456789';
const NOW = Date.UTC(2026, 0, 1);

describe('session tokens', () => {
  test('round trip; another secret, an edited field or an expired token is refused', async () => {
    const session = { id: newSessionId(), subject: 'basic:ops', expires: NOW + 1000 };
    const token = await signSession(SECRET, session);
    expect(await verifySession(SECRET, token, NOW)).toEqual(session);
    expect(await verifySession('other-secret', token, NOW)).toBeNull();
    expect(await verifySession(SECRET, token, NOW + 1000)).toBeNull();
    const parts = token.split('.');
    for (let i = 1; i < parts.length; i++) {
      const edited = [...parts];
      edited[i] = `${edited[i]!.slice(0, -1)}${edited[i]!.endsWith('A') ? 'B' : 'A'}`;
      expect(await verifySession(SECRET, edited.join('.'), NOW)).toBeNull();
    }
  });

  test('ids are fresh and unguessable: 1000 sign-ins, 1000 distinct ids of 144 bits', () => {
    const ids = new Set(Array.from({ length: 1000 }, newSessionId));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{24}$/);
  });

  test('CSRF tokens are per session: one session\'s token fails for another', async () => {
    const [a, b] = [newSessionId(), newSessionId()];
    const tokenA = await csrfToken(SECRET, a);
    expect(await verifyCsrf(SECRET, a, tokenA)).toBe(true);
    expect(await verifyCsrf(SECRET, b, tokenA)).toBe(false);
    expect(await verifyCsrf(SECRET, a, '')).toBe(false);
    expect(await verifyCsrf(SECRET, a, null)).toBe(false);
  });

  test('a device token is not a session token and the other way round (separate domains under one secret)', async () => {
    const device = await signDevice(SECRET, 'apikey', NOW);
    expect((await verifyDevice(SECRET, device, NOW))?.subject).toBe('apikey');
    expect(await verifySession(SECRET, device, NOW)).toBeNull();
    const session = await signSession(SECRET, { id: newSessionId(), subject: 'apikey', expires: NOW + 1000 });
    expect(await verifyDevice(SECRET, session, NOW)).toBeNull();
  });
});

describe('safeNext', () => {
  test.each([
    ['/performance', '/performance'],
    ['/performance?app=shop&range=6h', '/performance?app=shop&range=6h'],
    ['/performance/traces/0123', '/performance/traces/0123'],
    ['/performance/a b', '/performance/a%20b'],
    ['/performance/é', '/performance/%C3%A9'],
    ['//evil.example/performance', '/performance'],
    ['/\\evil.example', '/performance'],
    ['https://evil.example/performance', '/performance'],
    ['javascript:alert(1)', '/performance'],
    ['/performance/../admin', '/performance'],
    ['/performance/%2e%2e/admin', '/performance'],
    ['/performancex', '/performance'],
    ['/performance\r\nSet-Cookie: a=b', '/performance'],
    ['/performance\t', '/performance'],
    ['', '/performance'],
    [null, '/performance'],
  ])('%p → %p', (next, expected) => {
    expect(safeNext(next, '/performance')).toBe(expected);
  });

  test('whatever the input, the answer is a header-safe path under the base', () => {
    const alphabet = ['/', '\\', '.', '%', '2', 'e', 'f', '\r', '\n', ':', '@', '?', '#', 'p', ' ', 'é', '\u0000'];
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 5000; i++) {
      const length = Math.floor(random() * 20);
      const next = `/performance${Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]).join('')}`;
      const out = safeNext(next, '/performance');
      expect(out).toMatch(/^\/performance([/?].*)?$/);
      expect(out).not.toMatch(/[\u0000-\u001f\u007f\\]/);
      expect(() => new Headers({ Location: out })).not.toThrow();
      expect(new URL(out, 'http://x.invalid').origin).toBe('http://x.invalid');
    }
  });
});

describe('secretsEqual', () => {
  test('timing does not follow the matching prefix: a near miss costs what a far miss costs', async () => {
    const secret = 'k'.repeat(64);
    const near = `${'k'.repeat(63)}x`;
    const far = `x${'k'.repeat(63)}`;
    const time = async (given: string) => {
      const start = performance.now();
      for (let i = 0; i < 200; i++) await secretsEqual(given, secret);
      return performance.now() - start;
    };
    // Interleaved rounds, compared by median, so load on the machine hits both alike; a round of
    // each first, unmeasured, for the JIT, and the order alternated, so neither always goes first
    // (it failed once at 1.79 on a fresh clone, with near always first).
    await time(near);
    await time(far);
    const nearTimes: number[] = [];
    const farTimes: number[] = [];
    for (let round = 0; round < 21; round++) {
      if (round % 2 === 0) {
        nearTimes.push(await time(near));
        farTimes.push(await time(far));
      } else {
        farTimes.push(await time(far));
        nearTimes.push(await time(near));
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const ratio = median(nearTimes) / median(farTimes);
    expect(ratio).toBeGreaterThan(0.67);
    expect(ratio).toBeLessThan(1.5);
    expect(await secretsEqual(near, secret)).toBe(false);
    expect(await secretsEqual(secret, secret)).toBe(true);
    expect(await secretsEqual('', '')).toBe(false);
  });
});
