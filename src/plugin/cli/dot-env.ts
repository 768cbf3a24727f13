// `.env` and `.dev.vars` files: KEY=VALUE lines, the format Bun loads for an app and wrangler for
// a Worker's local secrets. Read leniently; written so that a value never needs quoting.
import { existsSync, readFileSync } from 'node:fs';

/** KEY=VALUE lines of a .env file (what Bun loads for an app started in that directory). */
export function parseDotEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!match) continue;
    out[match[1]!] = match[2]!.replace(/^(['"])(.*)\1$/, '$2');
  }
  return out;
}

export function readDotEnv(path: string): Record<string, string> {
  return existsSync(path) ? parseDotEnv(readFileSync(path, 'utf8')) : {};
}

/** `text` with `additions` appended under a comment, keeping what was there byte for byte. */
export function appendLines(text: string, comment: string, additions: string[]): string {
  if (additions.length === 0) return text;
  const separator = text === '' || text.endsWith('\n') ? '' : '\n';
  return `${text}${separator}# ${comment}\n${additions.join('\n')}\n`;
}

/** `text` with each `NAME=value` of `values` replaced in place, or appended when absent. */
export function withValues(text: string, values: Record<string, string>): string {
  const pending = new Map(Object.entries(values));
  const lines = text === '' ? [] : text.replace(/\n$/, '').split('\n');
  const out = lines.map((line) => {
    const name = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=/.exec(line)?.[1];
    if (name === undefined || !pending.has(name)) return line;
    const value = pending.get(name)!;
    pending.delete(name);
    return `${name}=${value}`;
  });
  for (const [name, value] of pending) out.push(`${name}=${value}`);
  return `${out.join('\n')}\n`;
}
