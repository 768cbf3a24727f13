// The few path operations the preload needs, without node:path: every module the preload loads
// stays in the app's heap for good, and each full garbage collection of the app marks all of it
// again (node:path is ~470 objects, a third of a plain app's heap). Both separators are accepted,
// as Bun gives Windows paths with backslashes.

const SEPARATOR = process.platform === 'win32' ? '\\' : '/';

function lastSeparator(path: string): number {
  return Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
}

/** `dir` and one more name (no separators in `name`). */
export function joinPath(dir: string, name: string): string {
  return dir.endsWith('/') || dir.endsWith('\\') ? dir + name : dir + SEPARATOR + name;
}

/** The directory of a file path: `/srv/app/server.ts` → `/srv/app`. */
export function dirOf(path: string): string {
  const at = lastSeparator(path);
  if (at < 0) return '.';
  // A root keeps its separator: `/x` → `/`, and a drive root on Windows likewise.
  return at === 0 || /^[A-Za-z]:$/.test(path.slice(0, at)) ? path.slice(0, at + 1) : path.slice(0, at);
}

/** The last name of a path: `/srv/app/` → `app`; a root (`/`, a drive's) has none. */
export function baseName(path: string): string {
  const trimmed = path.replace(/[\\/]+$/, '');
  if (/^[A-Za-z]:$/.test(trimmed)) return '';
  return trimmed.slice(lastSeparator(trimmed) + 1);
}

/** `path` if absolute (`/x`, `C:\x`, `\\server\x`), else under `cwd`. */
export function resolvePath(cwd: string, path: string): string {
  return /^(?:[\\/]|[A-Za-z]:[\\/])/.test(path) ? path : joinPath(cwd, path);
}
