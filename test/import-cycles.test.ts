// No import cycles in src/: every module can be read, tested and moved from the leaves up. Type-only
// imports count (see support/import-cycles.ts); the fixture shows the check finds a hidden one.
import { describe, expect, test } from 'bun:test';
import { join, resolve } from 'node:path';
import { importCycles } from './support/import-cycles.ts';

const ROOT = resolve(import.meta.dir, '..');

describe('import cycles', () => {
  test('src/ has none', () => {
    expect(importCycles(join(ROOT, 'src'))).toEqual([]);
  });

  test('a type-only cycle through an inline import() is found', () => {
    expect(importCycles(join(import.meta.dir, 'fixtures/import-cycle'))).toEqual([['a.ts', 'b.ts']]);
  });
});
