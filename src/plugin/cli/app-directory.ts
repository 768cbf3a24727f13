// Which directory the commands take for the app. Bun reads bunfig.toml and the env files from the
// directory the app starts in, and the preload names the app from its package.json: a command run
// in a folder of the app (its src/) had set that folder up as an app of its own (a review).
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * `dir`, checked: one without a package.json, below a project's package.json from which bun-apm
 * is installed (in its node_modules or one above: a workspace's root), is refused, naming the
 * project's directory. An app without a package.json
 * of its own is otherwise taken (a stray package.json above it, in the home directory say, had
 * refused it: a review).
 */
export function appDirectory(dir: string): string {
  const start = resolve(dir);
  // One that does not exist is left to the command's own error.
  if (!existsSync(start) || existsSync(join(start, 'package.json')) || existsSync(join(start, 'node_modules', 'bun-apm'))) return start;
  for (let parent = dirname(start), child = start; parent !== child; child = parent, parent = dirname(parent)) {
    if (!existsSync(join(parent, 'package.json'))) continue;
    if (installedFrom(parent)) {
      throw new Error(`${start} has no package.json, and ${parent} has one: run bun-apm in the directory the app starts in (Bun reads bunfig.toml and .env there), e.g. cd ${parent}; if the app does start in ${start}, give it a package.json of its own`);
    }
    return start;
  }
  return start;
}

/** Whether bun-apm resolves from `dir`: a node_modules/bun-apm in it or a directory above. */
function installedFrom(dir: string): boolean {
  for (let at = dir, up = dirname(dir); ; at = up, up = dirname(up)) {
    if (existsSync(join(at, 'node_modules', 'bun-apm'))) return true;
    if (up === at) return false;
  }
}
