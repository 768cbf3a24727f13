// The layout table of the README's design notes, enforced: which folder of src/ may import which.
// The explicit middleware shares the Bun runtime library with the preload and never loads the
// preload's wiring or its configuration loading; the fixture shows the check finds a file that does.
import { describe, expect, test } from 'bun:test';
import { join, resolve } from 'node:path';
import { layerViolations, reachableFrom, type LayerRules } from './support/layers.ts';

const SRC = resolve(import.meta.dir, '..', 'src');

/** As the README's table says. */
const RULES: LayerRules = {
  core: ['core'],
  views: ['views', 'core'],
  'plugin/runtime': ['plugin/runtime', 'core'],
  'plugin/preload': ['plugin/preload', 'plugin/runtime', 'core'],
  'plugin/preload.ts': ['plugin/preload', 'plugin/runtime', 'core'],
  'plugin/cli': ['plugin/cli', 'plugin/preload', 'plugin/runtime', 'core'],
  'plugin/needs-bun.ts': ['plugin/runtime', 'core'],
  middleware: ['middleware', 'plugin/runtime', 'core', 'views'],
  edge: ['edge', 'core', 'views'],
};

describe('layers of src/', () => {
  test('every import stays inside what its folder may import', () => {
    expect(layerViolations(SRC, RULES)).toEqual([]);
  });

  test('the middleware entry reaches no file of src/plugin outside runtime/', () => {
    const reached = reachableFrom(SRC, 'middleware/index.ts');
    // Independent of the rules above: the whole set of files the middleware loads.
    expect(reached.filter((path) => path.startsWith('plugin/') && !path.startsWith('plugin/runtime/'))).toEqual([]);
    expect(reached.some((path) => path.startsWith('plugin/runtime/'))).toBe(true);
  });

  test('a middleware file importing the preload is found, and so is runtime importing the preload', () => {
    expect(layerViolations(join(import.meta.dir, 'fixtures', 'layers'), RULES)).toEqual([
      'middleware/uses-config.ts → plugin/preload/load-config.ts',
      'plugin/runtime/leaky.ts → plugin/preload/load-config.ts',
    ]);
  });
});
