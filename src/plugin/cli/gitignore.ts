// Keeps generated secrets out of git: adds entries to a .gitignore unless they are ignored already.
// In a git work tree git itself says (`git check-ignore`: nested ignore files, `!` negations,
// patterns); elsewhere the file's lines are read for the simple cases, in order, as git reads them.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { devNull } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { withLines } from './dot-env.ts';

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

/**
 * Whether `path` is a file git tracks (committed or staged): ignoring it then changes nothing.
 * Outside any repository, no. Inside one where git cannot answer (not installed; a checkout it
 * refuses as another user's), an error naming why: taking "no" for an answer had written the key
 * into a tracked .env (a review).
 */
export function gitTracks(dir: string, path: string): boolean {
  if (!insideRepository(dir)) return false;
  let child: ReturnType<typeof Bun.spawnSync>;
  try {
    child = Bun.spawnSync(['git', 'ls-files', '--error-unmatch', '--', path], { cwd: dir, stdout: 'ignore', stderr: 'pipe' });
  } catch {
    throw new Error(`${dir} is in a git repository, but git is not installed to tell whether it tracks ${path}, where the ingest key would go: install git, then run init again`);
  }
  if (child.exitCode === 0) return true;
  if (child.exitCode === 1) return false;
  const why = (child.stderr?.toString().trim().split('\n')[0] ?? '').slice(0, 200);
  throw new Error(`git cannot tell whether it tracks ${path}, where the ingest key would go (${why || `exit ${child.exitCode}`}): fix that, then run init again`);
}

/** Whether `dir` or a directory above it holds a `.git` (a directory, or a worktree's file). */
function insideRepository(dir: string): boolean {
  for (let at = resolve(dir); ; at = dirname(at)) {
    if (existsSync(join(at, '.git'))) return true;
    if (dirname(at) === at) return false;
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

/** The entries a .gitignore at `path` must add: those git (or, without it, the file's lines) does not ignore yet. */
export function notIgnored(path: string, entries: string[]): string[] {
  const lines = existsSync(path) ? readFileSync(path, 'utf8').split('\n') : [];
  return entries.filter((entry) => !(gitIgnores(dirname(path), entry) ?? covered(lines, entry)));
}

/** Appends `missing` (notIgnored's) to the .gitignore at `path`, keeping its line ends; returns whether it changed. */
export function addIgnores(path: string, missing: string[]): boolean {
  if (missing.length === 0) return false;
  writeFileSync(path, withLines(existsSync(path) ? readFileSync(path, 'utf8') : '', missing));
  return true;
}

/** Adds the entries not yet ignored; returns whether the file changed. */
export function ensureIgnored(path: string, entries: string[]): boolean {
  return addIgnores(path, notIgnored(path, entries));
}
