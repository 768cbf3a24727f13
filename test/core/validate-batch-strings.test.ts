// What the validator passes on is what gets stored: tag and field keys kept whatever they are called,
// and strings made well-formed (a lone surrogate read back the same from SQLite and from JSON).
import { describe, expect, test } from 'bun:test';
import { validateBatch } from '../../src/core/validate-batch.ts';
import { LIMITS, type Batch } from '../../src/core/wire-format.ts';
import { makeBatch } from '../support/batch.ts';

const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);

function valid(change: (b: any) => void): Batch {
  const batch: any = structuredClone(makeBatch(NOW));
  change(batch);
  const result = validateBatch(batch);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.batch;
}

describe('validateBatch: keys named like Object.prototype', () => {
  test('tag and field keys __proto__, constructor and prototype are kept, through JSON too, and pollute nothing', () => {
    // As the edge reads a body: JSON.parse makes `__proto__` an own key.
    const keys = '{"__proto__":"x","constructor":"y","toString":"z","prototype":1}';
    const batch = valid((b) => {
      b.spans[0].tags = JSON.parse(keys);
      b.spans[1].logs[0].fields = JSON.parse('{"__proto__":true,"constructor":2}');
    });
    const expected: Array<[string, string | number]> = [['__proto__', 'x'], ['constructor', 'y'], ['toString', 'z'], ['prototype', 1]];
    expect(Object.entries(batch.spans[0]!.tags)).toEqual(expected);
    expect(Object.entries(batch.spans[1]!.logs[0]!.fields!)).toEqual([['__proto__', true], ['constructor', 2]]);
    // Stored as JSON and read back with JSON.parse, as the store does.
    const stored = JSON.parse(JSON.stringify(batch.spans[0]));
    expect(Object.entries(stored.tags)).toEqual(expected);
    expect(JSON.stringify(stored.tags)).toBe(keys);
    expect(({} as any).x).toBeUndefined();
    expect(Object.getPrototypeOf(stored.tags)).toBe(Object.prototype);
  });

  test('a bad value under __proto__ is refused like any other, naming it', () => {
    const batch: any = structuredClone(makeBatch(NOW));
    batch.spans[0].tags = JSON.parse('{"__proto__":{"polluted":true}}');
    const result = validateBatch(batch);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems).toEqual([{ path: 'spans[0].tags.__proto__', message: expect.stringMatching(/finite number or boolean/) }]);
  });
});

describe('validateBatch: well-formed strings', () => {
  test('two keys that become one once well-formed and visible are both kept, the later numbered (refused, they had cost the batch; one kept, a tag lost)', () => {
    const batch: any = structuredClone(makeBatch(NOW));
    // Lone surrogates; an older client's query names with a joiner; a numbered key taken already; a key at the length limit.
    const long = 'x'.repeat(LIMITS.tagKeyLength);
    batch.spans[0].tags = { 'k\ud800': 1, 'k\udc00': 2, 'http.query.q\u200c': 'a', 'http.query.q\u200d': 'b', 'k\ufffd~2': 3, [`${long.slice(1)}\u200c`]: 4, [`${long.slice(1)}\u200d`]: 5 };
    const result = validateBatch(batch);
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    expect(result.batch.spans[0]!.tags).toEqual({
      'k\ufffd': 1, 'k\ufffd~2': 2, 'http.query.q\ufffd': 'a', 'http.query.q\ufffd~2': 'b', 'k\ufffd~2~2': 3, [`${long.slice(1)}\ufffd`]: 4, [`${long.slice(2)}~2`]: 5,
    });
    const keysOf = { 'a\u200c': 1, 'a\u200d': 2, 'a\u2060': 3 };
    batch.spans[0].tags = keysOf;
    const again = validateBatch(batch);
    expect(again.ok && Object.keys(again.batch.spans[0]!.tags)).toEqual(['a\ufffd', 'a\ufffd~2', 'a\ufffd~3']);
  });

  test('a lone surrogate becomes U+FFFD in every stored string, the same in rollups, samples and spans', () => {
    const route = '/s/\ud800';
    const batch = valid((b) => {
      for (const cell of b.rollups) cell.route = route;
      Object.assign(b.samples[0], { route, path: '/s/\udc00x', userAgent: 'ua\ud800', error: '\udfff' });
      Object.assign(b.spans[0], { name: `GET ${route}`, tags: { 'http.route': route, ['k\ud800']: 'v\udc00' } });
      b.spans[1].logs[0] = { ...b.spans[1].logs[0], message: 'm\ud800', level: 'info\udc00', fields: { ['f\ud800']: 'x\ud800' } };
      b.identity.instance = 'host\ud800';
    });
    const stored = '/s/\ufffd';
    expect(batch.rollups.map((c) => c.route)).toEqual(batch.rollups.map(() => stored));
    expect(batch.samples[0]).toMatchObject({ route: stored, path: '/s/\ufffdx', userAgent: 'ua\ufffd', error: '\ufffd' });
    expect(batch.spans[0]).toMatchObject({ name: `GET ${stored}`, tags: { 'http.route': stored, 'k\ufffd': 'v\ufffd' } });
    expect(batch.spans[1]!.logs[0]).toMatchObject({ message: 'm\ufffd', level: 'info\ufffd', fields: { 'f\ufffd': 'x\ufffd' } });
    expect(batch.identity.instance).toBe('host\ufffd');
    // Nothing ill-formed is left anywhere; a well-formed pair (an emoji) is left as it was.
    expect(JSON.stringify(batch)).not.toMatch(/\\u[dD][89a-fA-F]/);
    expect(valid((b) => (b.samples[0].route = '/e/😀')).samples[0]!.route).toBe('/e/😀');
  });
});
