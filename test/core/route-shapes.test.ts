import { describe, expect, test } from 'bun:test';
import { pathEnd, pathOf, pathStart } from '../../src/core/request-key.ts';
import { MAX_SEGMENTS, normalisePath, OVERFLOW_ROUTE } from '../../src/core/route-normaliser.ts';
import { RouteShapes } from '../../src/core/route-shapes.ts';
import { randomSegmentOf, randomSuffix } from '../support/random-paths.ts';
import { seededRandom } from '../support/random.ts';

/** What RouteShapes answers for a URL, read where it lies. */
function matchOf(shapes: RouteShapes, url: string): string | undefined {
  const start = pathStart(url);
  return shapes.match(url, start, pathEnd(url, start));
}

describe('RouteShapes', () => {
  test('a new id of a remembered id route gets that route; anything else is not matched', () => {
    const shapes = new RouteShapes();
    shapes.remember('/users/:id/orders', 'R');
    expect(matchOf(shapes, 'http://h/users/123/orders')).toBe('R');
    expect(matchOf(shapes, 'https://h:8080/users/9f8e7d6c5b4a3928/orders?x=/a#b')).toBe('R');
    for (const miss of ['/users/123/orders/', '/users/123', '/users/abc/orders', '/users/123/order', '/Users/1/orders', '/users//orders', '/users/1/orders/2']) {
      expect({ miss, route: matchOf(shapes, `http://h${miss}`) }).toEqual({ miss, route: undefined });
    }
  });

  test('a literal `:id`, `a:id` and `%3Aid` in a URL match as normalisePath names them', () => {
    const shapes = new RouteShapes();
    shapes.remember('/a/:id', 'R');
    // normalisePath keeps `:id` as it is (so it names `/a/:id` like `/a/7`); `a:id` stays itself; `%3Aid` decodes to `:id`, no id.
    expect(['/a/:id', '/a/a:id', '/a/%3Aid', '/a/:idx'].map((path) => [normalisePath(path), matchOf(shapes, `http://h${path}`)])).toEqual([
      ['/a/:id', 'R'],
      ['/a/a:id', undefined],
      ['/a/%3Aid', undefined],
      ['/a/:idx', undefined],
    ]);
  });

  test('a route of MAX_SEGMENTS segments is remembered and matched; a path of one more is not', () => {
    const shapes = new RouteShapes();
    const words = Array.from({ length: MAX_SEGMENTS - 1 }, (_, i) => `s${String.fromCharCode(97 + i)}`);
    shapes.remember(`/${words.join('/')}/:id`, 'R');
    expect(matchOf(shapes, `http://h/${words.join('/')}/42`)).toBe('R');
    expect(matchOf(shapes, `http://h/${words.join('/')}/42/x`)).toBeUndefined();
    const cut = normalisePath(`/${words.join('/')}/42/x`);
    expect(cut.endsWith('/*')).toBe(true);
    shapes.remember(cut, 'C'); // a cut route is not kept
    expect(matchOf(shapes, `http://h/${words.join('/')}/42/*`)).toBeUndefined();
  });

  test('a route the guard turned away is not remembered', () => {
    const shapes = new RouteShapes();
    shapes.remember('/users/:id', OVERFLOW_ROUTE);
    expect(matchOf(shapes, 'http://h/users/1')).toBeUndefined();
  });

  test('only routes with an id are remembered; 10 that differ in a segment with digits, and 60 under one prefix, all at once', () => {
    const shapes = new RouteShapes();
    shapes.remember('/health', 'R');
    expect(matchOf(shapes, 'http://h/health')).toBeUndefined();
    for (let i = 0; i < 10; i++) shapes.remember(`/v${i}/users/:id`, `V${i}`);
    expect(Array.from({ length: 10 }, (_, i) => matchOf(shapes, `http://h/v${i}/users/7`))).toEqual(Array.from({ length: 10 }, (_, i) => `V${i}`));
    const words = Array.from({ length: 60 }, (_, i) => `${['users', 'orders', 'items', 'carts', 'files'][i % 5]}${'abcdefghijkl'[Math.floor(i / 5)]}`);
    for (const word of words) shapes.remember(`/api/${word}/:id`, word);
    expect(words.filter((word) => matchOf(shapes, `http://h/api/${word}/123`) === word)).toEqual(words);
  });

  test('shapes that begin with an id or an empty segment', () => {
    const shapes = new RouteShapes();
    shapes.remember('/:id/x', 'A');
    shapes.remember('//:id', 'B');
    shapes.remember('/:id/:id', 'C');
    const urls = ['/7/x', '/:id/x', '//7', '/7/8', '/x/7', '/7/y'];
    expect(urls.map((path) => [normalisePath(path), matchOf(shapes, `http://h${path}`)])).toEqual([
      ['/:id/x', 'A'],
      ['/:id/x', 'A'],
      ['//:id', 'B'],
      ['/:id/:id', 'C'],
      ['/x/:id', undefined],
      ['/:id/y', undefined],
    ]);
  });

  test('20,000 random pairs of paths: a match is exactly what normalisePath names alike', () => {
    const random = seededRandom(11);
    const segment = randomSegmentOf(random);
    const isId = (s: string): boolean => normalisePath(`/${s}`) === '/:id';
    const newId = (): string => {
      for (;;) {
        const s = segment();
        if (isId(s)) return s;
      }
    };
    const counts = { matched: 0, missed: 0 };
    for (let i = 0; i < 20_000; i++) {
      const first = Array.from({ length: Math.floor(random() * 18) }, segment);
      // The second path: the first with each id replaced by a new one, then maybe one segment changed, added or dropped, or unrelated.
      const kind = random();
      let second = first.map((s) => (isId(s) ? newId() : s));
      if (kind < 0.15 && second.length > 0) second[Math.floor(random() * second.length)] = segment();
      else if (kind < 0.25) second.push(random() < 0.5 ? '' : segment());
      else if (kind < 0.35) second.pop();
      else if (kind < 0.45) second = Array.from({ length: Math.floor(random() * 18) }, segment);
      const firstPath = `/${first.join('/')}`;
      const secondPath = `/${second.join('/')}`;
      const shapes = new RouteShapes();
      const shape = normalisePath(firstPath);
      shapes.remember(shape, 'R');
      const url = `http://127.0.0.1:3000${secondPath}${randomSuffix(random)}`;
      const remembered = shape.includes(':id') && shape.split('/').length - 1 <= MAX_SEGMENTS; // what remember() keeps
      const expected = remembered && normalisePath(pathOf(url)) === shape ? 'R' : undefined;
      const route = matchOf(shapes, url);
      if (route !== expected) expect({ firstPath, url, route }).toEqual({ firstPath, url, route: expected });
      counts[route === undefined ? 'missed' : 'matched']++;
    }
    // Both answers are exercised, not one by a generator that never makes the other.
    expect(counts.matched).toBeGreaterThan(4_000);
    expect(counts.missed).toBeGreaterThan(4_000);
  });
});
