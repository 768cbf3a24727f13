// Keeps generated secrets out of git: adds entries to a .gitignore unless a line already covers them.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/** True when a line of the .gitignore ignores `entry` (exactly, rooted, or a `name*` pattern). */
function covered(lines: string[], entry: string): boolean {
  const bare = entry.replace(/\/$/, '');
  return lines.some((line) => {
    const pattern = line.trim().replace(/^\//, '').replace(/\/$/, '');
    if (pattern === bare) return true;
    return pattern.endsWith('*') && !pattern.slice(0, -1).includes('*') && bare.startsWith(pattern.slice(0, -1));
  });
}

/** Adds the entries not yet ignored; returns whether the file changed. */
export function ensureIgnored(path: string, entries: string[]): boolean {
  const text = existsSync(path) ? readFileSync(path, 'utf8') : '';
  const lines = text.split('\n');
  const missing = entries.filter((entry) => !covered(lines, entry));
  if (missing.length === 0) return false;
  const separator = text === '' || text.endsWith('\n') ? '' : '\n';
  writeFileSync(path, `${text}${separator}${missing.join('\n')}\n`);
  return true;
}
