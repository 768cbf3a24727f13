// The app id a command takes for an app directory, as the preload would: for init and keys alike.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { defaultAppName } from '../runtime/app-name.ts';

/**
 * The app id the preload defaults to (package.json's name as an app id, else the directory's name),
 * so that init writes the name the app had without it. A package.json that is not JSON is an error
 * here rather than the preload's silent fallback: the user is there to fix it.
 */
export function appNameOf(dir: string): string {
  const pkgPath = join(dir, 'package.json');
  if (existsSync(pkgPath)) {
    try {
      JSON.parse(readFileSync(pkgPath, 'utf8'));
    } catch (error) {
      throw new Error(`package.json at ${pkgPath} is not valid JSON: ${(error as Error).message}; fix it, then run init again`);
    }
  }
  return defaultAppName(resolve(dir));
}
