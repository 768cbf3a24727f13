// `bun-apm edge init`: a directory in the app from which the edge is run (`edge dev`) and deployed
// (`npx wrangler deploy`) without a clone of bun-apm: a wrangler.toml whose `main` and static
// assets point into the installed package, the edge's keys in .dev.vars, and a .gitignore.
import { accessSync, constants, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { ensureIgnored } from './gitignore.ts';
import { installedRoot, versionOf, workerEntry } from './installed-package.ts';
import { edgeKeys, type EdgeKeys } from './keys.ts';
import { carryVars, type CarriedToml } from './wrangler-vars.ts';

export const DEFAULT_EDGE_DIR = 'bun-apm-edge';
/** Where --force keeps the wrangler.toml it replaces, byte for byte; then .bak.1, .bak.2, … (none overwritten). */
export const WRANGLER_BACKUP = 'wrangler.toml.bak';
/** The edge directory's .gitignore: the keys, wrangler's local state, and the backups (they may hold secrets). */
const IGNORED = ['.dev.vars', '.wrangler/', `${WRANGLER_BACKUP}*`];

export interface EdgeInitResult {
  dir: string;
  keys: EdgeKeys;
  changed: string[];
  unchanged: string[];
  /** What --force did with the old wrangler.toml's [vars] and settings, when it rewrote the file (`backup`: where the old one is). */
  vars?: CarriedToml;
}

/** A path for wrangler.toml: relative to its directory, with forward slashes, as a TOML string. */
function tomlPath(from: string, to: string): string {
  return JSON.stringify(relative(from, to).split(sep).join('/'));
}

/**
 * The package's own wrangler.toml (bindings, migrations, cron, vars: one source of truth) with
 * `name`, `main` and the assets directory pointing into the installed package. `main` is the
 * Worker entry given (the package's build), else the template's own, taken in the package.
 */
export function edgeWranglerToml(template: string, options: { packageRoot: string; edgeDir: string; name: string; version: string; main?: string }): string {
  const lines = template.split('\n');
  let body = lines.findIndex((line) => line.trim() !== '' && !line.startsWith('#'));
  if (body < 0) body = 0;
  const replaced = lines.slice(body).join('\n')
    .replace(/^name = .*$/m, `name = ${JSON.stringify(options.name)}`)
    .replace(/^main = "([^"]+)"$/m, (_, main: string) => `main = ${tomlPath(options.edgeDir, options.main ?? join(options.packageRoot, main))}`)
    .replace(/^(\[assets\]\ndirectory = )"([^"]+)"$/m, (_, head: string, dir: string) => `${head}${tomlPath(options.edgeDir, join(options.packageRoot, dir))}`);
  if (!/^main = /m.test(replaced) || !/^\[assets\]\ndirectory = /m.test(replaced)) throw new Error('the installed bun-apm has a wrangler.toml without main or [assets] directory');
  const header = [
    `# The bun-apm edge, written by \`bunx bun-apm edge init\` from bun-apm ${options.version}. \`main\` and the`,
    '# static assets point into the installed package, so `npx wrangler deploy` here ships the version',
    '# your app runs. After upgrading bun-apm, `bunx bun-apm edge init --force` rewrites this file (its',
    '# migrations are append-only: keep them in order), keeping your [vars] values, workers_dev, account_id,',
    '# route(s), a `main` of your own (rules in code), and the old file as wrangler.toml.bak (.bak.1, …',
    '# after that); other edits are not kept.',
    '# Secrets never go here: see `bunx bun-apm keys`.',
  ];
  return `${header.join('\n')}\n${replaced}`;
}

export function edgeInit(appDir: string, options: { dir?: string; apps?: string[]; name?: string; force?: boolean } = {}): EdgeInitResult {
  const packageRoot = installedRoot(appDir);
  // resolve, not join: an absolute --dir is that directory, not one of the same name inside the app.
  const dir = resolve(appDir, options.dir ?? DEFAULT_EDGE_DIR);
  const tomlFile = join(dir, 'wrangler.toml');
  // --force rewrites the file for a new bun-apm, but keeps the Worker's name: another name would deploy a new, empty Worker.
  const name = options.name ?? nameIn(tomlFile) ?? 'bun-apm';
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(name)) throw new Error(`--name "${name}": a Worker name is 1..63 of a-z 0-9 - (starting with a letter or digit)`);
  const old = existsSync(tomlFile) ? readFileSync(tomlFile, 'utf8') : undefined;
  const main = (old !== undefined ? ownEntry(old, dir, packageRoot) : undefined) ?? workerEntry(appDir);
  const fresh = edgeWranglerToml(readFileSync(join(packageRoot, 'wrangler.toml'), 'utf8'), { packageRoot, edgeDir: dir, name, version: versionOf(packageRoot), main });
  // --force after an upgrade keeps the user's [vars] (PLAN, ALERT_RULES, …): the rewrite had reset them all to the defaults.
  const vars = old !== undefined && options.force ? carryVars(fresh, old) : undefined;
  const toml = vars?.toml ?? fresh;
  edgeKeys(appDir, dir, options.apps ?? [], false); // a dry run: no app to make keys for fails before any file is written

  writableDirectory(dir);
  const changed: string[] = [];
  const unchanged: string[] = [];
  // The ignore file first: the keys, and a backup's secrets, must never sit in an unignored file, even for a moment.
  const ignoreChanged = ensureIgnored(join(dir, '.gitignore'), IGNORED);
  let backup: string | undefined;
  if (old === undefined || (options.force && old !== toml)) {
    // The old file first, as it was: whatever the rewrite leaves out can be copied back from it.
    if (old !== undefined) {
      backup = backupName(dir, old);
      writeFileSync(join(dir, backup), old);
    }
    writeFileSync(tomlFile, toml);
    changed.push('wrangler.toml');
    if (backup !== undefined) changed.push(backup);
  } else unchanged.push('wrangler.toml');
  (ignoreChanged ? changed : unchanged).push('.gitignore');

  const before = existsSync(join(dir, '.dev.vars')) ? readFileSync(join(dir, '.dev.vars'), 'utf8') : undefined;
  const keys = edgeKeys(appDir, dir, options.apps ?? [], true);
  if (before !== readFileSync(join(dir, '.dev.vars'), 'utf8')) changed.push('.dev.vars');
  else unchanged.push('.dev.vars');
  // What became of the [vars] only when the file was rewritten.
  return { dir, keys, changed, unchanged, vars: changed.includes('wrangler.toml') && vars ? { ...vars, backup } : undefined };
}

/** Makes `dir` when missing; throws naming it when it cannot be made or written (nothing written yet). */
function writableDirectory(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'EACCES' || code === 'EPERM' || code === undefined ? 'permission denied' : code;
    throw new Error(`${dir} cannot be ${existsSync(dir) ? 'written' : 'made'} (${why}): nothing was changed; fix the permissions, or name another directory with --dir, then run edge init again`);
  }
}

/**
 * wrangler.toml.bak, unless it holds something else: then the first of .bak.1, .bak.2, … that is free
 * or holds `old` already. An overwritten backup had lost the values a previous report said were in it.
 */
function backupName(dir: string, old: string): string {
  for (let n = 0; ; n++) {
    const name = n === 0 ? WRANGLER_BACKUP : `${WRANGLER_BACKUP}.${n}`;
    if (!existsSync(join(dir, name)) || readFileSync(join(dir, name), 'utf8') === old) return name;
  }
}

/**
 * The Worker entry of the user's own that a wrangler.toml's `main` names (an entry with rules in
 * code: docs/operating.md), which a rewrite keeps; undefined when it is the package's, or none.
 */
function ownEntry(toml: string, dir: string, packageRoot: string): string | undefined {
  try {
    const main = (Bun.TOML.parse(toml) as { main?: unknown }).main;
    if (typeof main !== 'string') return undefined;
    const entry = resolve(dir, main);
    // Anything under a node_modules is a package's: pnpm's and Bun's isolated installs keep each
    // version in a directory of its own (`.pnpm/bun-apm@0.1.0/…`), which an upgrade leaves behind
    // the new package root, and the old Worker had been kept (a review).
    if (entry.split(/[\\/]/).includes('node_modules')) return undefined;
    const inPackage = relative(packageRoot, entry);
    return inPackage.startsWith('..') || isAbsolute(inPackage) ? entry : undefined;
  } catch {
    return undefined;
  }
}

/** The Worker name of an existing wrangler.toml, if it has one. */
function nameIn(tomlFile: string): string | undefined {
  if (!existsSync(tomlFile)) return undefined;
  try {
    const name = (Bun.TOML.parse(readFileSync(tomlFile, 'utf8')) as { name?: unknown }).name;
    return typeof name === 'string' ? name : undefined;
  } catch {
    return undefined;
  }
}
