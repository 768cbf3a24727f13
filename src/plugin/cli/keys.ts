// `bun-apm keys`: the edge's keys and the commands that store them as Worker secrets. One set per
// edge, kept in its .dev.vars (gitignored; what `wrangler dev` reads); the app's own ingest key is
// always the one `init` wrote to its .env, so the app, the local edge and the deployed one agree.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { APP_ID } from '../../core/app-id.ts';
import { randomToken } from '../../core/auth/secrets.ts';
import { appEnvironment, readableByOthers, readDotEnv, withValues } from './dot-env.ts';
import { appNameOf } from './app-name-of.ts';

export const SECRET_KEYS = ['INGEST_KEYS', 'API_KEYS', 'ADMIN_API_KEY', 'DASHBOARD_API_KEY', 'SESSION_SECRET'] as const;
export type EdgeSecrets = Record<(typeof SECRET_KEYS)[number], string>;

/** `source` names where the ids came from, and `fix` how to correct them there. */
export function checkAppIds(apps: string[], source = 'app', fix = ''): void {
  for (const app of apps) {
    if (!APP_ID.test(app)) throw new Error(`${source} "${app}": expected 1..64 of A-Z a-z 0-9 . _ - (starting with a letter or digit)${fix}`);
  }
}

// Bun's .env loading expands `$`, reads quotes and `\` escapes (a `#` comment is cut as it cuts it);
// INGEST_KEYS splits at `,` and trims, and takes colons in a key. A key of these characters alone
// reads the same everywhere (every key made here is one; base64's `+/=` too).
const PLAIN_KEY_CHARACTER = /[A-Za-z0-9._~+/=:-]/;

/** Refuses an ingest key from .env that the app (through Bun) and the edge could read differently. */
export function checkIngestKey(key: string, where = 'in .env'): void {
  const bad = [...key].find((character) => !PLAIN_KEY_CHARACTER.test(character));
  if (bad === undefined) return;
  throw new Error(`BUN_APM_INGEST_KEY ${where} holds ${JSON.stringify(bad)}, which Bun's .env loading or the edge's INGEST_KEYS may read differently: use only A-Z a-z 0-9 and . _ ~ + / = : - (remove the line and run \`bunx bun-apm init\` for a new key)`);
}

/** BUN_APM_APP from .env (or `where`), refused as `keys --app` refuses a name. */
export function checkDotEnvApp(app: string, where = 'in .env'): void {
  checkAppIds([app], `BUN_APM_APP ${where} is`, ': change it there');
}

export const newIngestKey = (): string => `ing_${randomToken(24)}`;

/** A fresh set of the edge's keys for `ingest` (app → ingest key). */
export function newSecrets(ingest: Record<string, string>): EdgeSecrets {
  return {
    INGEST_KEYS: formatIngestKeys(ingest),
    API_KEYS: `*:read_${randomToken(24)}`,
    ADMIN_API_KEY: `adm_${randomToken(24)}`,
    DASHBOARD_API_KEY: `dash_${randomToken(24)}`,
    SESSION_SECRET: randomToken(32),
  };
}

/** `app:key,app2:key2` as pairs (an app may appear more than once, e.g. while rotating keys). */
export function parseIngestKeys(value: string): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (const entry of value.split(',')) {
    const at = entry.indexOf(':');
    if (at > 0) pairs.push([entry.slice(0, at).trim(), entry.slice(at + 1).trim()]);
  }
  return pairs;
}

function formatIngestKeys(ingest: Record<string, string> | Array<[string, string]>): string {
  return (Array.isArray(ingest) ? ingest : Object.entries(ingest)).map(([app, key]) => `${app}:${key}`).join(',');
}

/**
 * The app's id and the ingest key it sends, if it has one: as the app starts in `appDir`, from the
 * shell and every env file Bun loads there (`.env.local` wins over `.env`). Read from `.env` alone,
 * a key in `.env.local` was passed over, and the edge was given one the app never sent (a review).
 * The id, as the preload takes it: BUN_APM_APP, else the package's name.
 */
export function ownAppKey(appDir: string, env: Record<string, string | undefined> = appEnvironment(appDir)): { app: string; key: string } | undefined {
  const key = env.BUN_APM_INGEST_KEY;
  if (!key) return undefined;
  const dotEnv = readDotEnv(join(appDir, '.env'));
  const where = (name: string) => (dotEnv[name] === env[name] ? 'in .env' : "in the app's environment (the shell, or an env file after .env)");
  // As written too: Bun reads `$name` in .env as a variable, so the key it gives is not the one written.
  if (dotEnv.BUN_APM_INGEST_KEY) checkIngestKey(dotEnv.BUN_APM_INGEST_KEY);
  checkIngestKey(key, where('BUN_APM_INGEST_KEY'));
  const app = env.BUN_APM_APP || appNameOf(appDir);
  if (env.BUN_APM_APP) checkDotEnvApp(app, where('BUN_APM_APP'));
  return { app, key };
}

export interface EdgeKeys {
  secrets: EdgeSecrets;
  /** The .dev.vars file the keys are kept in; undefined when they were made for printing only. */
  file: string | undefined;
  /** Apps whose ingest key this call added. */
  added: string[];
  /** Problems worth a line: e.g. the app's .env key is not among the edge's. */
  warnings: string[];
}

const DEV_VARS_HEADER = `# The bun-apm edge's secrets for \`wrangler dev\` (bunx bun-apm edge dev). Never commit this file.
# Deploy them with the \`wrangler secret put\` lines of \`bunx bun-apm keys\`.
# BUN_APM_DEV marks the local runtime: alert channels may post to http:// on loopback. Not a secret to deploy.
BUN_APM_DEV=true
`;

/**
 * The edge's keys for the app in `appDir` and the `apps` named: those kept in `<edgeDir>/.dev.vars`
 * when it exists, else new ones. The app's own ingest key is the one it starts with (ownAppKey). With `save`, the
 * file is created or updated (only INGEST_KEYS can grow; nothing kept is replaced).
 */
export function edgeKeys(appDir: string, edgeDir: string, apps: string[], save: boolean): EdgeKeys {
  checkAppIds(apps);
  const own = ownAppKey(appDir);
  const wanted = [...new Set([...(own ? [own.app] : []), ...apps])];
  const file = join(edgeDir, '.dev.vars');
  const exists = existsSync(file);
  const kept = readDotEnv(file);
  if (wanted.length === 0 && !kept.INGEST_KEYS) {
    throw new Error('no app to make keys for: run `bunx bun-apm init` in your app first, or name apps with --app NAME');
  }

  const pairs = parseIngestKeys(kept.INGEST_KEYS ?? '');
  // One key writes to one app: the edge refuses a set where two share one, every app's batches with
  // it. An app renamed in .env had been added under its old key (a review).
  const holder = own && pairs.find(([name, key]) => key === own.key && name !== own.app)?.[0];
  if (own && holder !== undefined && !pairs.some(([name]) => name === own.app)) {
    throw new Error(`this app's BUN_APM_INGEST_KEY is ${holder}'s ingest key in ${file}, and BUN_APM_APP says ${own.app}: one key writes to one app. To rename ${holder}, change its name in INGEST_KEYS there (its stored data stays under ${holder}); to make ${own.app} an app of its own, remove BUN_APM_INGEST_KEY from the app's env file and run \`bunx bun-apm init\` again. Nothing was changed`);
  }
  const added: string[] = [];
  const warnings: string[] = [];
  for (const app of wanted) {
    const keys = pairs.filter(([name]) => name === app).map(([, key]) => key);
    if (own?.app === app && keys.length > 0 && !keys.includes(own.key)) {
      warnings.push(`${app}'s BUN_APM_INGEST_KEY in .env is not among the edge's INGEST_KEYS in ${file}: the edge will refuse its data (add ${app}:<that key> to INGEST_KEYS, or remove the old entry and run this again)`);
    }
    if (keys.length > 0) continue;
    pairs.push([app, own?.app === app ? own.key : newIngestKey()]);
    added.push(app);
  }
  const fresh = newSecrets({});
  const secrets = Object.fromEntries(SECRET_KEYS.map((name) => [name, kept[name] || fresh[name]])) as EdgeSecrets;
  secrets.INGEST_KEYS = formatIngestKeys(pairs);

  if (save) {
    const text = exists ? readFileSync(file, 'utf8') : DEV_VARS_HEADER;
    const next = withValues(text, secrets);
    if (next !== text) writeFileSync(file, next, { mode: 0o600 });
  }
  const loose = save || exists ? readableByOthers(file, file) : undefined;
  if (loose) warnings.push(loose);
  return { secrets, file: save || exists ? file : undefined, added, warnings };
}

/** Single-quoted for a POSIX shell: keys are base64url, but quote anyway. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** One `wrangler secret put` line per secret, to run where the Worker's wrangler.toml is. */
export function secretPutLines(secrets: EdgeSecrets): string[] {
  return SECRET_KEYS.map((name) => `printf '%s' ${shellQuote(secrets[name])} | npx wrangler secret put ${name}`);
}

export function keysReport(keys: EdgeKeys, where: { edgeDir: string; endpoint: string | undefined }): string {
  const { secrets } = keys;
  const edge = where.endpoint ?? 'https://<your-worker>.workers.dev';
  const lines = [
    keys.file
      ? `# The edge's keys, kept in ${where.edgeDir}/.dev.vars (which \`bunx bun-apm edge dev\` runs with).`
      : '# New keys, not saved anywhere: `bunx bun-apm edge init` makes and keeps a set for a local edge.',
    ...(keys.file ? keys.added.map((app) => `# Added an ingest key for ${app}.`) : []),
    // wrangler dev reads .dev.vars when it starts: a running edge refuses the new key until then.
    ...(keys.file && keys.added.length > 0 ? ['# A running `bunx bun-apm edge dev` takes added keys once restarted.'] : []),
    ...keys.warnings.map((warning) => `# WARNING: ${warning}`),
    '',
    `# Deploy them as Worker secrets, from ${keys.file ? `${where.edgeDir}/` : 'the directory of the Worker\'s wrangler.toml'}:`,
    ...secretPutLines(secrets),
    '',
    // Another app's `init` keeps a key already in its .env; it makes a new one (unknown to this edge) only where there is none.
    "# Each app sends with these lines, in its .env (for another app, before its `bunx bun-apm init`, which keeps them):",
  ];
  // One variable a line, uncommented: pasted as printed they are .env lines (both on one had made BUN_APM_APP "blog BUN_APM_INGEST_KEY=…": a review).
  for (const [app, key] of parseIngestKeys(secrets.INGEST_KEYS)) lines.push(`# ${app}`, `BUN_APM_APP=${app}`, `BUN_APM_INGEST_KEY=${key}`);
  const read = secrets.API_KEYS.split(',')[0]!.split(':').slice(1).join(':');
  lines.push('', `# Read the JSON API:     curl -H 'X-API-Key: ${read}' ${edge}/api/v1/apps`);
  lines.push(`# Sign in to ${edge}/performance with the API key ${secrets.DASHBOARD_API_KEY}`);
  return lines.join('\n');
}
