// The app's name when none is given, for the preload and the explicit API alike (the settings
// table's default for `app`): the name in ./package.json, else the directory's name.
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

/** The app's package.json name in `cwd`, else the directory's name. */
export function defaultAppName(cwd: string): string {
  try {
    const pkg = JSON.parse(readFileSync(join(cwd, 'package.json'), 'utf8')) as { name?: unknown };
    if (typeof pkg.name === 'string' && pkg.name !== '') return pkg.name;
  } catch {
    // no package.json, or not JSON: the directory name will do
  }
  return basename(cwd) || 'bun-app';
}
