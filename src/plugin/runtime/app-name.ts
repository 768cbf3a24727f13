// The app's name when none is configured: the name in ./package.json, else the directory's name.
// Runtime code rather than the preload's config loading, so that the middleware can default to the
// same name without loading the preload's configuration.
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

export function defaultAppName(cwd: string): string {
  try {
    const pkg = JSON.parse(readFileSync(join(cwd, 'package.json'), 'utf8')) as { name?: unknown };
    if (typeof pkg.name === 'string' && pkg.name !== '') return pkg.name;
  } catch {
    // no package.json, or not JSON: the directory name will do
  }
  return basename(cwd) || 'bun-app';
}
