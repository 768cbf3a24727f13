// The app's name when none is configured: the name in ./package.json, else the directory's name, as an app id.
// Runtime code rather than the preload's config loading, so that the middleware can default to the
// same name without loading the preload's configuration.
import { appIdOf } from '../../core/app-id.ts';
import { baseName, joinPath } from './file-path.ts';

/** For the middleware's options, which are synchronous: node:fs is loaded here, when called. */
export function defaultAppName(cwd: string): string {
  let text: string | undefined;
  try {
    text = (require('node:fs') as typeof import('node:fs')).readFileSync(joinPath(cwd, 'package.json'), 'utf8');
  } catch {
    // no package.json: the directory name will do
  }
  return appNameOf(text, cwd);
}

/**
 * For the preload, through Bun.file: every module loaded stays in the app's heap for good, and each
 * full garbage collection of the app marks all of it again (node:fs alone is ~140 KiB).
 */
export async function defaultAppNameAsync(cwd: string): Promise<string> {
  return appNameOf(await Bun.file(joinPath(cwd, 'package.json')).text().catch(() => undefined), cwd);
}

function appNameOf(packageJson: string | undefined, cwd: string): string {
  try {
    const pkg = JSON.parse(packageJson ?? '') as { name?: unknown };
    // As an app id: `@acme/shop-api` → `shop-api` (the edge names apps so).
    if (typeof pkg.name === 'string' && appIdOf(pkg.name) !== '') return appIdOf(pkg.name);
  } catch {
    // no package.json, or not JSON: the directory name will do
  }
  return appIdOf(baseName(cwd)) || 'bun-app';
}
