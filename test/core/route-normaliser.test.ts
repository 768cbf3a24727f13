import { describe, expect, test } from 'bun:test';
import { normalisePath, OVERFLOW_ROUTE, RouteCardinalityGuard } from '../../src/core/route-normaliser.ts';
import { normaliseBySplit } from '../support/normalise-by-split.ts';
import { randomSegmentOf, randomSuffix } from '../support/random-paths.ts';
import { seededRandom } from '../support/random.ts';

describe('normalisePath', () => {
  const cases: Array<[string, string]> = [
    ['/', '/'],
    ['/users/42', '/users/:id'],
    ['/users/42/orders/7', '/users/:id/orders/:id'],
    ['/users/42?expand=orders#top', '/users/:id'],
    ['/api/v2/items', '/api/v2/items'],
    ['/orders/3fa85f64-5717-4562-b3fc-2c963f66afa6', '/orders/:id'],
    ['/orders/3FA85F645717-4562B3FC2C963F66AFA6', '/orders/:id'],
    ['/objects/507f1f77bcf86cd799439011', '/objects/:id'],
    ['/commits/9fceb02d0ae598e95dc970b74767f19372d61af8', '/commits/:id'],
    ['/files/01ARZ3NDEKTSV4RRFFQ69G5FAV', '/files/:id'],
    ['/reset/eyJhbGciOiJIUzI1NiJ9eyJzdWIiOiIxMjM0NTY3ODkwIn0', '/reset/:id'],
    ['/blog/getting-started-with-bun-and-cloudflare', '/blog/getting-started-with-bun-and-cloudflare'],
    ['/reports/2026-11-26', '/reports/:id'],
    ['/prices/12.50', '/prices/:id'],
    ['/users/ada@example.com/settings', '/users/:id/settings'],
    ['/café/%E2%82%AC', '/café/%E2%82%AC'],
    ['/broken/%E0%A4%A', '/broken/:id'],
    ['/assets/app.css', '/assets/app.css'],
    ['/assets/app.3f9a2c1d.js', '/assets/:id'],
    ['/static/js/main.8e5a1b2c.chunk.js', '/static/js/:id'],
    ['/assets/chunk-vendors_2c4a5b1f.css', '/assets/:id'],
    ['/fonts/inter-v12-latin.woff2', '/fonts/inter-v12-latin.woff2'],
    ['/downloads/cafebabe.pdf', '/downloads/cafebabe.pdf'],
    ['/facade', '/facade'],
    ['/v1/ingest', '/v1/ingest'],
    ['users/7', '/users/:id'],
    ['/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r/s', '/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/*'],
    // A matrix parameter (`;name=value`) holds a session id as often as not: a route each, before (a review).
    ['/login;jsessionid=0A1B2C3D', '/:id'],
    ['/shop/cart;jsessionid=SESSJ/checkout', '/shop/:id/checkout'],
    ['/files/a;b', '/files/a;b'],
  ];
  for (const [raw, expected] of cases) {
    test(`${raw} → ${expected}`, () => expect(normalisePath(raw)).toBe(expected));
  }

  test('10,000 user ids collapse to one route', () => {
    const routes = new Set<string>();
    for (let i = 0; i < 10_000; i++) routes.add(normalisePath(`/users/${i * 7919}/profile`));
    expect([...routes]).toEqual(['/users/:id/profile']);
  });

  test('20,000 random paths: the scan and its shortcuts give what split, join and every rule give', () => {
    const random = seededRandom(5);
    const segment = randomSegmentOf(random);
    for (let i = 0; i < 20_000; i++) {
      const segments = Array.from({ length: Math.floor(random() * 20) }, segment);
      const raw = `${random() < 0.9 ? '/' : ''}${segments.join('/')}${randomSuffix(random)}`;
      const expected = normaliseBySplit(raw);
      if (normalisePath(raw) !== expected) expect({ raw, route: normalisePath(raw) }).toEqual({ raw, route: expected });
    }
  });
});

describe('RouteCardinalityGuard', () => {
  test('keeps the first `cap` routes, sends new ones to the overflow bucket, keeps admitting known ones', () => {
    const guard = new RouteCardinalityGuard(3);
    expect(['/a', '/b', '/c'].map((r) => guard.admit(r))).toEqual(['/a', '/b', '/c']);
    expect(guard.admit('/d')).toBe(OVERFLOW_ROUTE);
    expect(guard.admit('/a')).toBe('/a');
    expect(guard.size).toBe(3);
  });

  test('a bad cap is refused at creation', () => {
    expect(() => new RouteCardinalityGuard(0)).toThrow(/route cap/);
  });
});
