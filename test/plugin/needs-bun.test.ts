// The module Node gets for bun-apm/middleware declares every name the middleware exports: a static
// named import must reach its "run on Bun" message, not Node's "does not provide an export named".
import { expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

test('needs-bun.ts declares exactly the middleware\'s export names', async () => {
  const middleware = await import('../../src/middleware/index.ts');
  const source = readFileSync(join(import.meta.dir, '../../src/plugin/needs-bun.ts'), 'utf8');
  const declared = /export let ([^;]+);/.exec(source)![1]!.split(',').map((part) => part.trim().split(':')[0]!);
  expect(declared.sort()).toEqual(Object.keys(middleware).sort());
});
