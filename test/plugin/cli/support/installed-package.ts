// A stand-in for bun-apm installed in an app's node_modules: what `edge init` reads of it (its
// package.json, the edge entry it names, the wrangler.toml it ships).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dir, '..', '..', '..', '..');

export function installPackageStandIn(dir: string): void {
  const pkg = join(dir, 'node_modules', 'bun-apm');
  mkdirSync(pkg, { recursive: true });
  writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'bun-apm', version: '9.9.9', exports: { './package.json': './package.json', './edge': './edge.js' } }));
  writeFileSync(join(pkg, 'edge.js'), '');
  writeFileSync(join(pkg, 'wrangler.toml'), readFileSync(join(ROOT, 'wrangler.toml'), 'utf8'));
}
