// `.env` and `.dev.vars` files: KEY=VALUE lines, the format Bun loads for an app and wrangler for
// a Worker's local secrets. Read leniently; written so that a value never needs quoting.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { devNull } from 'node:os';
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
 * The env files Bun loads, in its order, each later one winning: `.env`, `.env.<mode>`,
 * `.env.local` (not for tests), `.env.<mode>.local`. The mode is NODE_ENV's `production` or `test`,
 * anything else `development` (Bun 1.4 checked: `staging` reads `.env.development`).
 */
function bunEnvFileNames(nodeEnv: string | undefined): string[] {
  const mode = nodeEnv === 'production' || nodeEnv === 'test' ? nodeEnv : 'development';
  return ['.env', `.env.${mode}`, ...(mode === 'test' ? [] : ['.env.local']), `.env.${mode}.local`];
}

/** The names Bun's env files set for an app started in `dir`; their values are Bun's to work out (bunEnvironment). */
function bunEnvNames(dir: string, nodeEnv: string | undefined): string[] {
  return [...new Set(bunEnvFileNames(nodeEnv).flatMap((name) => Object.keys(readDotEnv(join(dir, name)))))];
}

/**
 * The environment an app started in `dir` under `env` has, as Bun itself makes it: a Bun started
 * there prints it. Our own reading of the files had ended a quoted value at its line's end and
 * left `${PORT}` and backticks as text, so `BUN_APM_ENDPOINT=http://127.0.0.1:${PORT}` failed doctor
 * for an app that starts monitored. That Bun reads no bunfig, so the app's preload does not run.
 * Should it fail, the files are read as parseDotEnv reads them, under `env`.
 */
export function bunEnvironment(dir: string, env: Record<string, string | undefined>): Record<string, string | undefined> {
  const child = Bun.spawnSync([process.execPath, `--config=${devNull}`, '-e', 'process.stdout.write(JSON.stringify(process.env))'], {
    cwd: dir, env: definedOnly(env), stdout: 'pipe', stderr: 'ignore',
  });
  if (child.exitCode === 0) {
    try {
      return JSON.parse(child.stdout.toString()) as Record<string, string>;
    } catch {}
  }
  return Object.assign({}, ...bunEnvFileNames(env.NODE_ENV).map((name) => readDotEnv(join(dir, name))), env) as Record<string, string | undefined>;
}

function definedOnly(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (value !== undefined) out[name] = value;
  return out;
}

/**
 * The environment an app in `dir` starts with, before its own env files: Bun loaded the env files
 * of the directory this command runs in into process.env (`bunx` too), and for another app's
 * directory every value they brought is the other app's — a JAEGER_ENDPOINT in this directory's
 * .env.local had made doctor pass an app that started unmonitored. Which values they brought is
 * Bun's answer for those names without them. A value the shell set to the same text cannot be told
 * apart, and goes too.
 */
export function environmentFor(dir: string, env: Record<string, string | undefined> = process.env, cwd = process.cwd()): Record<string, string | undefined> {
  if (resolve(dir) === resolve(cwd)) return env;
  const names = bunEnvNames(cwd, env.NODE_ENV);
  if (names.length === 0) return env;
  const without = { ...env };
  for (const name of names) delete without[name];
  const brought = bunEnvironment(cwd, without);
  const own = { ...env };
  for (const name of names) if (own[name] === brought[name]) delete own[name];
  return own;
}

/** `text` with `additions` appended under a comment, keeping what was there byte for byte (and its line ends). */
export function appendLines(text: string, comment: string, additions: string[]): string {
  return additions.length === 0 ? text : withLines(text, [`# ${comment}`, ...additions]);
}

/** `text` with `lines` after it, ended as its lines are (CRLF or LF), on a line of their own. */
export function withLines(text: string, lines: string[]): string {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const separator = text === '' || text.endsWith('\n') ? '' : eol;
  return `${text}${separator}${lines.join(eol)}${eol}`;
}

/**
 * `text` with each `NAME=value` of `values` replaced in place, or appended when absent. A line that
 * already reads as the value stays as the user wrote it (its quotes, `export`, comment, CRLF): every
 * line had been rewritten bare, and `S="a#b"` became `S=a#b`, which wrangler reads as `a` (a review).
 */
export function withValues(text: string, values: Record<string, string>): string {
  const pending = new Map(Object.entries(values));
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = text === '' ? [] : text.replace(/\n$/, '').split('\n');
  const out = lines.map((line) => {
    const name = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=/.exec(line)?.[1];
    if (name === undefined || !pending.has(name)) return line;
    const value = pending.get(name)!;
    pending.delete(name);
    if (parseDotEnv(line)[name] === value) return line;
    return `${name}=${lineValue(value)}${line.endsWith('\r') ? '\r' : ''}`;
  });
  for (const [name, value] of pending) out.push(`${name}=${lineValue(value)}${eol === '\r\n' ? '\r' : ''}`);
  return `${out.join('\n')}\n`;
}

/** A value as a line holds it: bare when it reads back the same, else quoted (a `#` would start a comment). */
function lineValue(value: string): string {
  if (parseDotEnv(`V=${value}`).V === value) return value;
  return value.includes("'") ? `"${value}"` : `'${value}'`;
}

/** The environment the app in `dir` starts with: the shell's and its env files', as Bun makes it. */
export function appEnvironment(dir: string): Record<string, string | undefined> {
  return bunEnvironment(dir, environmentFor(dir));
}

/**
 * What to say of a file that holds keys and that other users may read (its mode lets group or
 * others in: a `.env` made 0644 before init appended the key to it), else undefined. Said, not
 * changed: the file is the app's, and someone may rely on its mode (a review).
 */
export function readableByOthers(path: string, shown: string): string | undefined {
  if (process.platform === 'win32') return undefined;
  try {
    const mode = statSync(path).mode & 0o777;
    if ((mode & 0o077) === 0) return undefined;
    return `${shown} holds keys and other users of this machine may read it (mode ${mode.toString(8)}): \`chmod 600 ${shown}\` keeps them to you`;
  } catch {
    return undefined;
  }
}
