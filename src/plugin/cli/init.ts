// `bun-apm init`: sets an existing Bun app up for the preload — bunfig.toml, bun-apm.config.ts and
// the environment variables in .env (kept out of git) — without touching the app's code. The
// ingest key it writes is the app's key from then on: `keys` and `edge init` read the key the app
// starts with (the shell's, or its env files' as Bun loads them), which init keeps when there is one.
import { accessSync, constants, existsSync, lstatSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { appNameOf } from './app-name-of.ts';
import { appEnvironment, appendLines, parseDotEnv, readableByOthers, readDotEnv } from './dot-env.ts';
import { CONFIG_NAMES } from '../preload/load-config.ts';
import { addIgnores, gitTracks, notIgnored } from './gitignore.ts';
import { checkDotEnvApp, newIngestKey, ownAppKey } from './keys.ts';

export interface InitResult {
  app: string;
  ingestKey: string;
  /** The endpoint in .env after init: one already there is kept, whatever init was given. */
  endpoint: string;
  changed: string[];
  unchanged: string[];
  /** The env file the settings went to: `.env`, or `.env.local` when git tracks `.env` or it is a link. */
  envFile: string;
  /** Why not `.env`, when not. */
  notDotEnv?: string;
  /** Said when the env file holding the key may be read by other users. */
  readableByOthers?: string;
}

const PRELOAD = 'bun-apm/preload';

/**
 * Whether bunfig.toml preloads bun-apm for `bun run` (its top-level `preload`, not `[test]`'s, not
 * a comment), read as Bun reads it; `unreadable` when Bun would not read the file at all.
 */
export function preloadsBunApm(bunfig: string): boolean | 'unreadable' {
  let parsed: unknown;
  try {
    parsed = Bun.TOML.parse(bunfig);
  } catch {
    return 'unreadable';
  }
  const preload = (parsed as { preload?: unknown }).preload;
  return preload === PRELOAD || (Array.isArray(preload) && preload.includes(PRELOAD));
}

/**
 * Adds the preload to bunfig.toml, keeping whatever else the file says: first in a top-level
 * `preload` already there (an array or a single string, either quotes, a comment after it, CRLF
 * lines), else a line of its own at the top. The result is read back as TOML: a file this cannot
 * edit safely (Bun refuses one with two `preload` keys, and then reads none of it) is an error
 * asking for the line by hand, and nothing is written.
 */
export function withPreload(bunfig: string): string {
  const before = preloadsBunApm(bunfig);
  if (before === 'unreadable') throw new Error('bunfig.toml is not valid TOML (Bun would ignore it): fix it, then run init again');
  if (before) return bunfig;
  const lines = bunfig.split('\n');
  let edited: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const cr = lines[i]!.endsWith('\r') ? '\r' : '';
    const line = cr ? lines[i]!.slice(0, -1) : lines[i]!;
    if (/^\s*\[/.test(line)) break;
    const array = /^(\s*preload\s*=\s*\[)(.*)$/.exec(line);
    const single = /^(\s*preload\s*=\s*)("[^"]*"|'[^']*')(\s*(?:#.*)?)$/.exec(line);
    if (array) {
      const rest = array[2]!.trim();
      lines[i] = `${array[1]}"${PRELOAD}"${rest.startsWith(']') ? '' : ', '}${rest}${cr}`;
    } else if (single) {
      lines[i] = `${single[1]}["${PRELOAD}", ${single[2]}]${single[3]}${cr}`;
    } else continue;
    edited = lines.join('\n');
    break;
  }
  const eol = bunfig.includes('\r\n') ? '\r\n' : '\n';
  const result = edited ?? `preload = ["${PRELOAD}"]${eol}${bunfig}`;
  if (preloadsBunApm(result) !== true) {
    throw new Error(`bunfig.toml: could not add the preload safely; add "${PRELOAD}" first in its top-level preload list by hand`);
  }
  return result;
}

// The import is type-only: the file then also loads at run time next to a `bun build --compile`
// binary, which cannot import packages from node_modules.
const CONFIG_TEMPLATE = `// bun-apm: what the environment variables can't say. See the README's configuration reference.
import type { BunApmConfig } from 'bun-apm';

export default {
  // samplesPerSecond: 10,    // detail records per second, whatever the traffic (all requests are counted)
  // tracesPerSecond: 1,      // new traces per second
  // sampleRate: 0.1,         // or a fixed share of requests with a detail record instead
  // exporters: [{ type: 'otlp', endpoint: 'http://127.0.0.1:4318' }],
} satisfies BunApmConfig;
`;

/** Where a new app sends its data: the local edge of `bunx bun-apm edge dev`. */
export const DEFAULT_ENDPOINT = 'http://127.0.0.1:8787';


/** An app directory given on the command line must exist: otherwise the error would be a raw ENOENT, or checks of nothing. */
export function checkAppDirectory(dir: string): void {
  const stat = statSync(dir, { throwIfNoEntry: false });
  if (stat === undefined) throw new Error(`directory ${dir} does not exist: give the app's directory (default: the current one)`);
  if (!stat.isDirectory()) throw new Error(`${dir} is not a directory: give the app's directory (default: the current one)`);
}

/** Checks an endpoint given on the command line or in the environment before it is written anywhere. */
export function checkEndpoint(endpoint: string): string {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new Error(`--endpoint: "${endpoint}" is not a URL (expected e.g. ${DEFAULT_ENDPOINT})`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('--endpoint: expected an http:// or https:// URL');
  // As the preload reads BUN_APM_ENDPOINT: paths are added to it, so no query or fragment.
  if (/[?#]/.test(endpoint)) throw new Error('--endpoint: expected a URL without a query or fragment (the ingest path is added to it)');
  return endpoint.replace(/\/+$/, '');
}

/**
 * `appEnv`: the environment the app starts with (the shell's and its env files', appEnvironment).
 * What it sets is what the app sends, and what .env is given: a new key written there, behind one in
 * `.env.local` or the shell, was the key `keys` gave the edge, and the app's was refused (a review).
 */
export function initApp(dir: string, endpoint?: string, appEnv?: Record<string, string | undefined>): InitResult {
  // Everything is read and checked before anything is written.
  checkAppDirectory(dir);
  const endpointUrl = checkEndpoint(endpoint ?? DEFAULT_ENDPOINT);
  const bunfigPath = join(dir, 'bunfig.toml');
  const bunfig = existsSync(bunfigPath) ? readFileSync(bunfigPath, 'utf8') : '';
  const nextBunfig = withPreload(bunfig);
  const { file: envFile, why: notDotEnv } = envFileFor(dir);
  const envPath = join(dir, envFile);
  const env = existsSync(envPath) ? readFileSync(envPath, 'utf8') : '';
  // Beside a tracked .env, what it already sets (an endpoint, the app) is not written again.
  const written = { ...(envFile === '.env' ? {} : readDotEnv(join(dir, '.env'))), ...parseDotEnv(env) };
  // .env's values among them: Bun loads it for the app.
  const values = appEnv ?? appEnvironment(dir);
  const own = ownAppKey(dir, values);
  if (values.BUN_APM_APP) checkDotEnvApp(values.BUN_APM_APP);
  const app = values.BUN_APM_APP || appNameOf(dir);
  const ingestKey = own?.key || newIngestKey();
  // A config file of another extension is the app's: a .ts beside it would be read first (a review).
  const config = CONFIG_NAMES.find((name) => existsSync(join(dir, name)));
  const configPath = join(dir, 'bun-apm.config.ts');
  const bunfigChanges = nextBunfig !== bunfig;

  const additions: string[] = [];
  // What .env lacks, with the value the app has (`BUN_APM_ENDPOINT=… bunx bun-apm init` writes it).
  if (!written.BUN_APM_APP) additions.push(`BUN_APM_APP=${app}`);
  if (!written.BUN_APM_INGEST_KEY) additions.push(`BUN_APM_INGEST_KEY=${ingestKey}`);
  if (!written.BUN_APM_ENDPOINT) additions.push(`BUN_APM_ENDPOINT=${endpoint === undefined ? values.BUN_APM_ENDPOINT || endpointUrl : endpointUrl}`);
  // A file that cannot be written stops init before any is: a half-done init had left the app
  // preloading bun-apm with no key (a review).
  const ignorePath = join(dir, '.gitignore');
  const unignored = notIgnored(ignorePath, [envFile]);
  const writes = [
    ...(bunfigChanges ? [bunfigPath] : []),
    ...(config === undefined ? [configPath] : []),
    ...(additions.length > 0 ? [envPath] : []),
    ...(unignored.length > 0 ? [ignorePath] : []),
  ];
  for (const path of writes) checkWritable(path);

  const changed: string[] = [];
  const unchanged: string[] = [];
  if (bunfigChanges) {
    writeFileSync(bunfigPath, nextBunfig);
    changed.push('bunfig.toml');
  } else unchanged.push('bunfig.toml');

  if (config === undefined) {
    writeFileSync(configPath, CONFIG_TEMPLATE);
    changed.push('bun-apm.config.ts');
  } else unchanged.push(config);

  // The ignore file first: the env file is to hold a secret, and must never sit unignored, even when
  // the ignore file cannot be written (then nothing is).
  const ignored = addIgnores(ignorePath, unignored);
  if (additions.length > 0) {
    writeFileSync(envPath, appendLines(env, 'bun-apm', additions), { mode: 0o600 });
    changed.push(envFile);
  } else unchanged.push(envFile);
  if (ignored) changed.push('.gitignore');
  else unchanged.push('.gitignore');

  const loose = readableByOthers(envPath, envFile);
  return { app, ingestKey, endpoint: values.BUN_APM_ENDPOINT || endpointUrl, changed, unchanged, envFile, notDotEnv, ...(loose ? { readableByOthers: loose } : {}) };
}

/**
 * `.env`, unless git tracks it (a key appended there is committed with the app's next commit, and
 * ignoring a tracked file does nothing), or it is a link: to a file shared by the packages of a
 * monorepo, or one git tracks elsewhere (written through, the key had gone into the shared,
 * committed file). Reviews, both. Then `.env.local`, which Bun reads after `.env`.
 */
function envFileFor(dir: string): { file: string; why?: string } {
  const why = isLink(join(dir, '.env'))
    ? '.env is a link to another file, which must not get this app\'s key'
    : gitTracks(dir, '.env') ? 'git tracks .env, and the key must not be committed' : undefined;
  if (why === undefined) return { file: '.env' };
  if (isLink(join(dir, '.env.local'))) {
    throw new Error(`${why.replace(/,.*/, '')}, and .env.local is a link too: make .env.local a file of this app's own (not in git), then run init again`);
  }
  if (gitTracks(dir, '.env.local')) {
    throw new Error(`${why.replace(/,.*/, '')}, and git tracks .env.local, so an ingest key written there would be committed: untrack .env.local (git rm --cached .env.local), then run init again`);
  }
  return { file: '.env.local', why };
}

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/** Throws naming the file when it (or, for a new one, its directory) cannot be written. */
function checkWritable(path: string): void {
  const target = existsSync(path) ? path : join(path, '..');
  try {
    accessSync(target, constants.W_OK);
  } catch {
    throw new Error(`${path} cannot be written (permission denied): nothing was changed; fix its permissions, then run init again`);
  }
}
