// Which version of a router is installed, read from the package.json of the copy Bun is loading,
// and whether it falls in the range a source patch was written and tested for. No semver library:
// the ranges are whole release lines (`4.x`, `0.8.x`), compared on major.minor.patch.
import { joinPath } from '../runtime/file-path.ts';

export type Version = readonly [number, number, number];

/** `from` ≤ version < `below`, as the README and the warning write it (`label`). */
export interface VersionRange {
  from: Version;
  below: Version;
  label: string;
}

export function parseVersion(text: unknown): Version | undefined {
  if (typeof text !== 'string') return undefined;
  const match = /^(\d{1,9})\.(\d{1,9})\.(\d{1,9})(?:[-+].*)?$/.exec(text.trim());
  return match ? [Number(match[1]), Number(match[2]), Number(match[3])] : undefined;
}

function compare(a: Version, b: Version): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

export function inRange(version: Version, range: VersionRange): boolean {
  return compare(version, range.from) >= 0 && compare(version, range.below) < 0;
}

/**
 * The package directory a module file belongs to: the path up to the last `node_modules/<name>/`
 * (so that nested installs, `node_modules/.bun/…/node_modules/hono`, find their own copy).
 */
export function packageDirOf(modulePath: string, name: string): string | undefined {
  const normalised = modulePath.replaceAll('\\', '/');
  const marker = `/node_modules/${name}/`;
  const at = normalised.lastIndexOf(marker);
  if (at < 0) return undefined;
  return modulePath.slice(0, at + marker.length - 1);
}

/**
 * The `version` of the package the module belongs to, as written; undefined when there is none to
 * read. Synchronous: it runs in a module loader, and an async loader makes the module async, which
 * `require()` refuses (a CommonJS app requiring Hono had crashed at start).
 */
export function installedVersion(modulePath: string, name: string): string | undefined {
  const dir = packageDirOf(modulePath, name);
  if (dir === undefined) return undefined;
  try {
    const pkg = JSON.parse((require('node:fs') as typeof import('node:fs')).readFileSync(joinPath(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
    return pkg.name === name && typeof pkg.version === 'string' ? pkg.version.slice(0, 64) : undefined;
  } catch {
    return undefined;
  }
}
