// `.env` and `.dev.vars` files: KEY=VALUE lines, the format Bun loads for an app and wrangler for
// a Worker's local secrets. Read leniently; written so that a value never needs quoting.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** KEY=VALUE lines of a .env file (what Bun loads for an app started in that directory). */
export function parseDotEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!match) continue;
    out[match[1]!] = valueOf(match[2]!);
  }
  return out;
}

/** A value as Bun reads it as far as keys go: a quoted one up to its closing quote, else up to a `#` comment. */
function valueOf(raw: string): string {
  const quoted = /^(['"])(.*?)\1/.exec(raw);
  if (quoted) return quoted[2]!;
  const comment = raw.indexOf('#');
  return (comment < 0 ? raw : raw.slice(0, comment)).trim();
}

export function readDotEnv(path: string): Record<string, string> {
  return existsSync(path) ? parseDotEnv(readFileSync(path, 'utf8')) : {};
}

/**
 * The values Bun's own env files give an app started in `dir`, merged as Bun merges them: `.env`,
 * `.env.<mode>`, `.env.local` (not for tests), `.env.<mode>.local`, each later one winning. The mode
 * is NODE_ENV's `production` or `test`, anything else `development` (Bun 1.4 checked: `staging`
 * reads `.env.development`). Values as parseDotEnv reads them (no `$NAME` expansion).
 */
export function bunEnvFiles(dir: string, nodeEnv: string | undefined): Record<string, string> {
  const mode = nodeEnv === 'production' || nodeEnv === 'test' ? nodeEnv : 'development';
  const names = ['.env', `.env.${mode}`, ...(mode === 'test' ? [] : ['.env.local']), `.env.${mode}.local`];
  return Object.assign({}, ...names.map((name) => readDotEnv(join(dir, name)))) as Record<string, string>;
}

/**
 * The environment an app in `dir` starts with, before its own env files: Bun loaded the env files
 * of the directory this command runs in into process.env (`bunx` too), and for another app's
 * directory every value they brought is the other app's — a JAEGER_ENDPOINT in this directory's
 * .env.local had made doctor pass an app that started unmonitored. A value the shell set to the
 * same text as those files cannot be told apart, and goes too.
 */
export function environmentFor(dir: string, env: Record<string, string | undefined> = process.env, cwd = process.cwd()): Record<string, string | undefined> {
  if (resolve(dir) === resolve(cwd)) return env;
  const own = { ...env };
  for (const [name, value] of Object.entries(bunEnvFiles(cwd, env.NODE_ENV))) if (own[name] === value) delete own[name];
  return own;
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
