import { describe, expect, test } from 'bun:test';
import { pathEnd, pathOf, pathStart } from '../../src/core/request-key.ts';
import { normalisePath } from '../../src/core/route-normaliser.ts';
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

  test('only routes with an id are remembered, the latest 8 of them', () => {
    const shapes = new RouteShapes();
    shapes.remember('/health', 'R');
    expect(matchOf(shapes, 'http://h/health')).toBeUndefined();
    for (let i = 0; i < 9; i++) shapes.remember(`/r${i}/:id`, `R${i}`);
    expect(matchOf(shapes, 'http://h/r0/1')).toBeUndefined();
    expect([1, 8].map((i) => matchOf(shapes, `http://h/r${i}/1`))).toEqual(['R1', 'R8']);
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
      const remembered = shape.includes(':id') && !shape.endsWith('/*');
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
