// Keeps generated secrets out of git: adds entries to a .gitignore unless they are ignored already.
// In a git work tree git itself says (`git check-ignore`: nested ignore files, `!` negations,
// patterns); elsewhere the file's lines are read for the simple cases, in order, as git reads them.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { devNull } from 'node:os';
import { dirname } from 'node:path';

/**
 * Whether a .gitignore ignores `entry` in `dir`, as git reads them all; undefined when git cannot say
 * (no git, not a work tree). An ignore that only this clone has (`.git/info/exclude`, the user's
 * global excludes file) does not count: the next clone, a teammate's, would not have it (a review).
 */
function gitIgnores(dir: string, entry: string): boolean | undefined {
  try {
    const child = Bun.spawnSync(['git', '-c', `core.excludesFile=${devNull}`, 'check-ignore', '--no-index', '--verbose', '--', entry], { cwd: dir, stdout: 'pipe', stderr: 'ignore' });
    // 0: a pattern decided (`source:line:pattern<TAB>path`; a `!` one un-ignores), 1: none did, 128: not a work tree.
    if (child.exitCode === 1) return false;
    if (child.exitCode !== 0) return undefined;
    const decided = /^(.*):\d+:(.*)\t/.exec(child.stdout.toString());
    return decided !== null && /(^|\/)\.gitignore$/.test(decided[1]!) && !decided[2]!.startsWith('!');
  } catch {
    return undefined;
  }
}

/** Whether `path` is a file git tracks (committed or staged): ignoring it then changes nothing. */
export function gitTracks(dir: string, path: string): boolean {
  try {
    return Bun.spawnSync(['git', 'ls-files', '--error-unmatch', '--', path], { cwd: dir, stdout: 'ignore', stderr: 'ignore' }).exitCode === 0;
  } catch {
    return false;
  }
}

/**
 * Whether the lines ignore `entry` (a directory when it ends in `/`), the last matching line deciding:
 * exactly, rooted, or a `name*` pattern; `!` un-ignores; a pattern ending in `/` matches directories only.
 */
function covered(lines: string[], entry: string): boolean {
  const directory = entry.endsWith('/');
  const bare = entry.replace(/\/$/, '');
  let ignored = false;
  for (const raw of lines) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const negated = line.startsWith('!');
    const body = negated ? line.slice(1) : line;
    if (body.endsWith('/') && !directory) continue;
    const pattern = body.replace(/^\//, '').replace(/\/$/, '');
    const matches = pattern === bare || (pattern.endsWith('*') && !pattern.slice(0, -1).includes('*') && bare.startsWith(pattern.slice(0, -1)));
    if (matches) ignored = !negated;
  }
  return ignored;
}

/** Adds the entries not yet ignored; returns whether the file changed. */
export function ensureIgnored(path: string, entries: string[]): boolean {
  const text = existsSync(path) ? readFileSync(path, 'utf8') : '';
  const lines = text.split('\n');
  const missing = entries.filter((entry) => !(gitIgnores(dirname(path), entry) ?? covered(lines, entry)));
  if (missing.length === 0) return false;
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const separator = text === '' || text.endsWith('\n') ? '' : eol;
  writeFileSync(path, `${text}${separator}${missing.join(eol)}${eol}`);
  return true;
}

