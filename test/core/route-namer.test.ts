import { describe, expect, spyOn, test } from 'bun:test';
import { pathOf } from '../../src/core/request-key.ts';
import { RouteNamer } from '../../src/core/route-namer.ts';
import { normalisePath, OVERFLOW_ROUTE, RouteCardinalityGuard } from '../../src/core/route-normaliser.ts';
import { RouteShapes } from '../../src/core/route-shapes.ts';
import { clip, LIMITS } from '../../src/core/wire-format.ts';
import { randomSegmentOf, randomSuffix } from '../support/random-paths.ts';
import { seededRandom } from '../support/random.ts';

describe('RouteNamer', () => {
  test('30,000 URLs of id routes, hot paths and random paths: every answer is what naming each URL afresh gives', () => {
    const random = seededRandom(23);
    const segment = randomSegmentOf(random);
    const id = (): string => String(Math.floor(random() * 1e9));
    const hex = (n: number): string => Array.from({ length: n }, () => Math.floor(random() * 16).toString(16)).join('');
    const uuid = (): string => `${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}`;
    const makers = [
      () => `/users/${id()}`,
      () => `/users/${id()}/orders/${uuid()}`,
      () => `/files/${id()}/${segment()}`,
      () => '/health',
      () => `/search${randomSuffix(random)}`,
      () => `/${Array.from({ length: Math.floor(random() * 20) }, segment).join('/')}`,
    ];
    for (const cap of [20, 100_000]) {
      const namer = new RouteNamer(cap);
      // The reference: each URL named from nothing, in the same order, by the rule alone (no cache):
      // the first 100 paths (at most the cap) at their first request, later ones when they come again.
      const firstSeen = new RouteCardinalityGuard(Math.min(cap, 100));
      const again = new RouteCardinalityGuard(cap);
      const once = new Set<string>();
      const reference = (route: string): string => {
        if (firstSeen.has(route) || again.has(route)) return route;
        if (once.has(route)) return again.admit(route);
        const named = firstSeen.admit(route);
        if (named === OVERFLOW_ROUTE) once.add(route);
        return named;
      };
      const seen = new Set<string>();
      let previous = '';
      for (let i = 0; i < 15_000; i++) {
        // Runs of one URL, as traffic has them, between new ones.
        const url = random() < 0.2 && previous !== '' ? previous : `http://127.0.0.1:3000${makers[Math.floor(random() * makers.length)]!()}${randomSuffix(random)}`;
        previous = url;
        const expected = reference(clip(normalisePath(pathOf(url)), LIMITS.routeLength) || '/');
        const route = namer.ofUrl(url);
        if (route !== expected) expect({ cap, url, route }).toEqual({ cap, url, route: expected });
        seen.add(route);
      }
      // Both the overflow and the id routes were exercised, and names given to paths that came again.
      expect(seen.has(OVERFLOW_ROUTE)).toBe(true);
      expect(again.size).toBeGreaterThan(0);
      expect(seen.has('/users/:id/orders/:id')).toBe(true);
    }
  });

  test('a new id of an id route named before is answered by the match in place, not named again', () => {
    const match = spyOn(RouteShapes.prototype, 'match');
    try {
      const namer = new RouteNamer(500);
      expect(namer.ofUrl('http://h/users/1')).toBe('/users/:id');
      expect(namer.ofUrl('http://h/users/2?x=1')).toBe('/users/:id');
      expect(match.mock.results.map((r) => r.value)).toEqual([undefined, '/users/:id']);
    } finally {
      match.mockRestore();
    }
  });

  test('a template is admitted once and kept; once the cap is reached, a new one is counted under the overflow', () => {
    const namer = new RouteNamer(2);
    expect(['/a/:id', '/a/:id', '/b', '/c', '/a/:id', '/c'].map((t) => namer.ofTemplate(t))).toEqual(['/a/:id', '/a/:id', '/b', OVERFLOW_ROUTE, '/a/:id', OVERFLOW_ROUTE]);
    // Paths have a cap of their own: templates did not use it up.
    expect(['http://h/users/1', 'http://h/b', 'http://h/c'].map((url) => namer.ofUrl(url))).toEqual(['/users/:id', '/b', OVERFLOW_ROUTE]);
  });

  test('a catch-all answering a scanner’s paths 200, or slugs seen once each, cannot crowd out the app’s routes: past the first 100, a path is named when it comes again (found by a review)', () => {
    const namer = new RouteNamer(500);
    expect(namer.ofUrl('http://h/health')).toBe('/health');
    const junk = Array.from({ length: 800 }, (_, i) => `http://h/wp-${String.fromCharCode(97 + (i % 26))}${i}.php`);
    const named = junk.map((url) => namer.ofUrl(url, 200));
    expect(named.slice(0, 99)).toEqual(junk.slice(0, 99).map((url) => pathOf(url)));
    expect(named.slice(99).every((route) => route === OVERFLOW_ROUTE)).toBe(true);
    // The app's routes after the scan: the first request of each under the overflow, every later one under its name.
    const after = ['/checkout', '/search', '/checkout', '/search', '/checkout', '/health'].map((path) => namer.ofUrl(`http://h${path}`, 200));
    expect(after).toEqual([OVERFLOW_ROUTE, OVERFLOW_ROUTE, '/checkout', '/search', '/checkout', '/health']);
    // The paths seen once kept no place: 500 more routes that come again are still named.
    for (let i = 0; i < 500; i++) namer.ofUrl(`http://h/page-${String.fromCharCode(97 + (i % 26))}${i}x`);
    const repeated = Array.from({ length: 498 }, (_, i) => namer.ofUrl(`http://h/page-${String.fromCharCode(97 + (i % 26))}${i}x`));
    expect(repeated.filter((route) => route === OVERFLOW_ROUTE)).toEqual([]);
  });

  test('a scanner that repeats its list takes places for an hour at most: paths no batch counted for an hour are forgotten, and the app’s routes get their names back (found by a review)', () => {
    const namer = new RouteNamer(500);
    const hour = 3_600_000;
    let now = 1_000;
    expect(['/health', '/users/1'].map((path) => namer.ofUrl(`http://h${path}`))).toEqual(['/health', '/users/:id']);
    const probes = Array.from({ length: 700 }, (_, i) => `http://h/wp-${String.fromCharCode(97 + (i % 26))}${i}.php`);
    for (let pass = 0; pass < 2; pass++) for (const url of probes) namer.ofUrl(url, 200);
    namer.used(['/health', '/users/:id', ...probes.map((url) => pathOf(url))], now);
    // The places are taken: a new route of the app's, seen twice, is the overflow.
    expect([namer.ofUrl('http://h/checkout'), namer.ofUrl('http://h/checkout')]).toEqual([OVERFLOW_ROUTE, OVERFLOW_ROUTE]);
    // The app's routes are counted every minute; the probes never again.
    for (let minute = 1; minute <= 61; minute++) namer.used(['/health', '/users/:id'], (now += 60_000));
    expect(now - 1_000).toBeGreaterThan(hour);
    expect([namer.ofUrl('http://h/checkout'), namer.ofUrl('http://h/checkout')]).toEqual(['/checkout', '/checkout']);
    // What was used kept its name, an id route too (its cached shape went with the forgotten paths, not its name).
    expect(['/health', '/users/7', '/users/8?x=1'].map((path) => namer.ofUrl(`http://h${path}`))).toEqual(['/health', '/users/:id', '/users/:id']);
  });

  test('a path seen once just before the seen-once memory turns over still counts as seen (it had been cleared all at once at 10,000)', () => {
    const namer = new RouteNamer(500);
    const probe = (i: number) => namer.ofUrl(`http://h/probe-${String.fromCharCode(97 + (i % 26))}${i}.php`);
    for (let i = 0; i < 100; i++) namer.ofUrl(`http://h/page-${i}x`); // the first-seen names are taken
    for (let i = 0; i < 9_998; i++) probe(i);
    expect(namer.ofUrl('http://h/checkout')).toBe(OVERFLOW_ROUTE); // the 9,999th path seen once
    probe(9_998); // the 10,000th and 10,001st
    probe(9_999);
    expect(namer.ofUrl('http://h/checkout')).toBe('/checkout');
  });

  test('a scanner’s 404s cannot crowd out the app’s routes: paths first seen as 404s have their own 100 names (found by a review)', () => {
    const namer = new RouteNamer(500);
    const junk = Array.from({ length: 600 }, (_, i) => `http://h/probe-${String.fromCharCode(97 + (i % 26))}${i}/setup.php`);
    const named = junk.map((url) => namer.ofUrl(url, 404));
    expect(new Set(named).size).toBe(101); // 100 names, then the overflow
    expect(named.slice(0, 100)).toEqual(junk.slice(0, 100).map((url) => normalisePath(pathOf(url))));
    expect(named.slice(100).every((route) => route === OVERFLOW_ROUTE)).toBe(true);
    // Templates and paths the app answers keep their names, and so do their 404s once named.
    expect(namer.ofTemplate('/orders/:oid')).toBe('/orders/:oid');
    expect(['http://h/checkout', 'http://h/users/1'].map((url) => namer.ofUrl(url, 200))).toEqual(['/checkout', '/users/:id']);
    expect(['http://h/users/999', 'http://h/checkout?x=1'].map((url) => namer.ofUrl(url, 404))).toEqual(['/users/:id', '/checkout']);
    // A new path first seen as a 404, once the 100 are taken: the overflow; answered otherwise, its own name.
    expect(namer.ofUrl('http://h/pricing', 404)).toBe(OVERFLOW_ROUTE);
    expect(namer.ofUrl('http://h/admin', 403)).toBe(OVERFLOW_ROUTE); // any 4xx, as scanners meet 401s, 403s and 405s too
    expect(namer.ofUrl('http://h/about', 200)).toBe('/about');
    expect(['http://h/pricing', 'http://h/pricing'].map((url, i) => namer.ofUrl(url, [200, 404][i]))).toEqual(['/pricing', '/pricing']);
  });
});
