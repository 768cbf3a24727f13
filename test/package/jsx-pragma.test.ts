// The package ships its views compiled (scripts/build.ts), but Bun and esbuild apply the *host
// app's* tsconfig to a package's sources, not the package's own: wherever the sources themselves
// are compiled by someone else (a git or `file:` dependency on this repository, a bundler reading
// them), the views must name their JSX runtime themselves, or a React, Preact or Hono app turns
// every page into "[object Object]". (test/package/dashboard.browser.test.ts renders them under such apps.)
import { expect, test } from 'bun:test';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from './support/consumer.ts';

const PRAGMA = '/** @jsxRuntime automatic */\n/** @jsxImportSource @kitajs/html */\n';

test('every .tsx file starts with the @kitajs/html JSX pragma', () => {
  const tsx = readdirSync(join(REPO, 'src'), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.tsx'))
    .map((entry) => join(entry.parentPath, entry.name));
  expect(tsx.length).toBeGreaterThan(5);
  expect(tsx.filter((path) => !readFileSync(path, 'utf8').startsWith(PRAGMA)).map((path) => path.slice(REPO.length + 1))).toEqual([]);
});
