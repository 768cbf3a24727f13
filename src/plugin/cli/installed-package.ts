// Where bun-apm is installed for an app, and which version: the edge's wrangler.toml points into
// that copy, so `wrangler deploy` ships exactly the version the app runs.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** This package's own root and version (the copy running this command). */
export const OWN_ROOT = join(import.meta.dir, '..', '..', '..');

export function versionOf(root: string): string {
  return (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
}

/** The root of the bun-apm the app in `appDir` resolves, or an error saying how to install it. */
export function installedRoot(appDir: string): string {
  try {
    return dirname(Bun.resolveSync('bun-apm/package.json', appDir));
  } catch {
    throw new Error(`bun-apm is not installed in ${appDir}: add it first (\`bun add bun-apm\`, or \`bun add ./bun-apm-<version>.tgz\`)`);
  }
}

/** The Worker entry the installed package exports as `bun-apm/edge` (its build): where wrangler starts. */
export function workerEntry(appDir: string): string {
  try {
    return Bun.resolveSync('bun-apm/edge', appDir);
  } catch {
    throw new Error(`the bun-apm installed in ${appDir} has no Worker entry (bun-apm/edge): install it again`);
  }
}
