// The `[vars]` a user set in the edge's wrangler.toml, carried into the file `edge init --force`
// writes from a newer bun-apm's template: the rewrite had put PLAN, ALERT_RULES and the rest back
// to their defaults without a word.
import { WORKER } from '../../core/config/settings.ts';
import { SECRET_NAMES } from '../../core/config/edge-secrets.ts';
import { checkVarBounds } from '../../core/config/var-bounds.ts';

/**
 * The vars the edge reads, by their env names: kept when the template does not list them (SHARDS,
 * DASHBOARD_PATH, …); left out, a SHARDS had left the stores app#1… unread after the redeploy.
 * Secrets never: they belong in `wrangler secret put`, not in a file that is committed.
 */
const SECRETS: ReadonlySet<string> = new Set(SECRET_NAMES);
const EDGE_VARS: ReadonlySet<string> = new Set(Object.values(WORKER).flatMap((setting) => (setting.env && !SECRETS.has(setting.env) ? [setting.env] : [])));

type Vars = Record<string, unknown>;

/**
 * Defaults an earlier bun-apm's template wrote, by var: a file made by that version holds them
 * though its user chose nothing, and keeping them as the user's own had kept the 20 MiB the edge
 * later lowered to stay within a Durable Object's memory (a review). Such a value takes this
 * template's default, and the report says so. (Every version is 0.1.0 so far: the values tell.)
 */
const FORMER_DEFAULTS: Readonly<Record<string, readonly unknown[]>> = {
  MAX_DECOMPRESSED_BYTES: ['20971520'],
};

export interface KeptVars {
  /** The template with the old file's values written over its own. */
  toml: string;
  /** Names whose old value differs from the new template's, or that the edge reads and the template does not list (and was kept). */
  kept: string[];
  /** Those of `kept` the template does not list: appended to its [vars]. */
  added: string[];
  /** Names the old file set that are no setting of the edge: left out (the backup holds them). */
  dropped: string[];
  /** Names of secrets the old file set in [vars]: left out, they belong in `wrangler secret put`. */
  secrets: string[];
  /** Names whose value cannot be written back exactly (not a string, number, boolean, array or table). */
  unwritable: string[];
  /** Names whose old value was an earlier template's default (FORMER_DEFAULTS): given this template's. */
  updated: string[];
}

/**
 * Whether this template's default of `name` in place of the old value makes the edge refuse its vars
 * where the old value did not: a bound between vars (MAX_DECOMPRESSED_BYTES at least a raised
 * MAX_BODY_BYTES), checked by the edge's own rules. The old value is then kept.
 */
function refusedWith(name: string, fresh: unknown, old: Vars): boolean {
  const refuses = (vars: Vars) => {
    try {
      checkVarBounds(vars);
      return false;
    } catch {
      return true;
    }
  };
  return refuses({ ...old, [name]: fresh }) && !refuses(old);
}

/** `vars` of a wrangler.toml's text; undefined when the text is not TOML Bun can read. */
export function varsOf(text: string): Vars | undefined {
  try {
    const vars = (Bun.TOML.parse(text) as { vars?: unknown }).vars;
    return typeof vars === 'object' && vars !== null && !Array.isArray(vars) ? (vars as Vars) : {};
  } catch {
    return undefined;
  }
}

/**
 * `template` with each of its `[vars]` set to `old`'s value of the same name, and the vars the edge
 * reads that it does not list appended to its [vars]. Checked by reading the result back: whatever is
 * written, Bun.TOML reads as the values meant, or this throws (nothing written).
 */
export function keepVars(template: string, old: Vars): KeptVars {
  const defaults = varsOf(template) ?? {};
  const kept: string[] = [];
  const added: string[] = [];
  const dropped: string[] = [];
  const secrets: string[] = [];
  const unwritable: string[] = [];
  const updated: string[] = [];
  const values = new Map<string, string>();
  const appended = new Map<string, string>();
  for (const [name, value] of Object.entries(old)) {
    const listed = Object.hasOwn(defaults, name);
    if (!listed && SECRETS.has(name)) secrets.push(name);
    else if (!listed && !EDGE_VARS.has(name)) dropped.push(name);
    if ((!listed && !EDGE_VARS.has(name)) || (listed && Bun.deepEquals(value, defaults[name], true))) continue;
    if (listed && FORMER_DEFAULTS[name]?.some((former) => Bun.deepEquals(value, former, true)) && !refusedWith(name, defaults[name], old)) {
      updated.push(name);
      continue;
    }
    const written = tomlValue(value);
    if (written === undefined) {
      unwritable.push(name);
      continue;
    }
    (listed ? values : appended).set(name, written);
    kept.push(name);
    if (!listed) added.push(name);
  }
  const toml = withVarValues(template, values, appended);
  const expected = { ...defaults, ...Object.fromEntries(kept.map((name) => [name, old[name]])) };
  if (!Bun.deepEquals(varsOf(toml), expected, true)) throw new Error(`could not keep the [vars] ${kept.join(', ')} of wrangler.toml: nothing was written`);
  return { toml, kept, added, dropped, secrets, unwritable, updated };
}

/** A `NAME = value  # comment` line of one line: a basic or literal string, else a bare number or boolean. */
const ONE_LINE_VAR = /^([A-Za-z0-9_-]+)( *= *)("(?:[^"\\]|\\.)*"|'[^']*'|[^\s#"']+)(\s*)(#.*)?$/;
const VARS_HEADER = /^\s*\[vars\]\s*(#.*)?$/;

/**
 * `template` with the value of each `NAME = value  # comment` line of its [vars] table replaced (the
 * comment kept in its column), and a `NAME = value` line for each of `appended` after the last such
 * line (after the header when there is none; in a [vars] table at the end when there is no table).
 * Only the template's own lines are read: a value written in may span lines that look like anything.
 */
function withVarValues(template: string, values: Map<string, string>, appended: Map<string, string> = new Map()): string {
  let inVars = false;
  let header = -1;
  let last = -1;
  const lines = template.split('\n').map((line, i) => {
    if (/^\s*\[/.test(line)) {
      inVars = VARS_HEADER.test(line);
      if (inVars) header = last = i;
    }
    const match = inVars ? ONE_LINE_VAR.exec(line) : null;
    if (match !== null) last = i;
    const value = match ? values.get(match[1]!) : undefined;
    if (match === null || value === undefined) return line;
    const [, name, equals, , , comment] = match;
    const head = `${name}${equals}${value}`;
    if (comment === undefined) return head;
    const column = line.length - comment.length;
    const lastLine = head.slice(head.lastIndexOf('\n') + 1);
    return `${head}${' '.repeat(Math.max(1, column - lastLine.length))}${comment}`;
  });
  if (appended.size === 0) return lines.join('\n');
  const entries = [...appended].map(([name, value]) => `${name} = ${value}`);
  if (header < 0) return `${lines.join('\n').replace(/\n*$/, '')}\n\n[vars]\n${entries.join('\n')}\n`;
  lines.splice(last + 1, 0, '# Kept by `edge init --force` from the old wrangler.toml: the edge reads them, this template does not list them.', ...entries);
  return lines.join('\n');
}

/** `value` as TOML that reads back as exactly it, else undefined (a date, say). */
export function tomlValue(value: unknown): string | undefined {
  const written = encode(value);
  if (written === undefined) return undefined;
  try {
    return Bun.deepEquals((Bun.TOML.parse(`v = ${written}`) as { v: unknown }).v, value, true) ? written : undefined;
  } catch {
    return undefined;
  }
}

function encode(value: unknown): string | undefined {
  if (typeof value === 'string') return tomlString(value);
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'number') return Number.isNaN(value) ? 'nan' : value === Infinity ? 'inf' : value === -Infinity ? '-inf' : String(value);
  if (Array.isArray(value)) {
    const items = value.map(encode);
    return items.includes(undefined) ? undefined : `[${items.join(', ')}]`;
  }
  if (typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    const entries = Object.entries(value).map(([key, item]) => [tomlString(key), encode(item)]);
    return entries.some(([, item]) => item === undefined) ? undefined : `{ ${entries.map(([key, item]) => `${key} = ${item}`).join(', ')} }`;
  }
  return undefined;
}

/**
 * A TOML string of `text`. Text of several lines (a JSON ALERT_RULES, as people write it) stays
 * readable as a multi-line literal string when it can be one — TOML drops the newline right after
 * the opening `'''` — else a basic string, JSON's escapes being TOML's, DEL escaped as TOML asks.
 */
export function tomlString(text: string): string {
  const literal = text.includes('\n') && !text.includes("'''") && !text.endsWith("'") && !/[\x00-\x08\x0b-\x1f\x7f]/.test(text);
  return literal ? `'''\n${text}'''` : JSON.stringify(text).replace(/\x7f/g, '\\u007f');
}

/**
 * The `[env.NAME]` tables of `old` that `template` lacks as they are. The rewrite keeps the top-level
 * [vars] only: an `[env.production.vars]` (and the rest of that environment) had gone without a word,
 * and `wrangler deploy --env production` then ran on the template's defaults. Named, not merged: an
 * environment also holds routes, bindings and migrations that only the user can square with a new template.
 */
function droppedEnvs(template: Vars, old: Vars): string[] {
  const kept = isTable(template.env) ? template.env : {};
  return Object.entries(isTable(old.env) ? old.env : {}).filter(([name, value]) => !Bun.deepEquals(value, kept[name], true)).map(([name]) => name);
}

/**
 * The old wrangler.toml read as TOML, or an error that says what is wrong and how to go on. --force
 * had replaced a file it could not read with the template, dropping a SHARDS (a lower one hides stores).
 */
export function readOld(text: string): Vars {
  try {
    return Bun.TOML.parse(text) as Vars;
  } catch (error) {
    // Bun's parser names no line: the first line from which no prefix of the file reads is where it stops.
    throw new Error(`wrangler.toml is not valid TOML (${(error as Error).message}, at line ${badLine(text)}): --force left it as it is. Fix that line, or move the file away (e.g. to wrangler.toml.old) to start fresh from this bun-apm's template, then run edge init --force again`);
  }
}

function badLine(text: string): number {
  const lines = text.split('\n');
  let read = 0;
  for (let k = 1; k <= lines.length; k++) {
    try {
      Bun.TOML.parse(lines.slice(0, k).join('\n'));
      read = k;
    } catch {
      // a multi-line value still open, or the error itself
    }
  }
  return Math.min(read + 1, lines.length);
}

/**
 * Top-level settings that are the user's deployment choices, which no template can know: kept as set.
 * A reset `workers_dev = false` had put the dashboard back on a public *.workers.dev address.
 */
const DEPLOYMENT_KEYS = ['workers_dev', 'account_id', 'route', 'routes'] as const;
/** Kept by other means (name, vars, env) or the package's own (main). */
const NOT_SETTINGS: ReadonlySet<string> = new Set(['name', 'main', 'vars', 'env', ...DEPLOYMENT_KEYS]);

const isTable = (value: unknown): value is Vars => typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);

/**
 * `toml` with `old`'s value of each deployment key written in: over the template's line of that key
 * before the first table, else after the last such line. Read back: each is the old value, or this throws.
 */
function keepDeployment(toml: string, old: Vars): { toml: string; deployment: string[] } {
  const lines = toml.split('\n');
  let tables = lines.findIndex((line) => /^\s*\[/.test(line));
  if (tables < 0) tables = lines.length;
  const before = Bun.TOML.parse(toml) as Vars;
  const deployment: string[] = [];
  for (const key of DEPLOYMENT_KEYS) {
    if (!Object.hasOwn(old, key) || Bun.deepEquals(old[key], before[key], true)) continue;
    const written = tomlValue(old[key]);
    if (written === undefined) throw new Error(`could not keep \`${key}\` of wrangler.toml: nothing was written`);
    const at = lines.slice(0, tables).findIndex((line) => new RegExp(`^${key}\\s*=`).test(line));
    if (at >= 0) lines[at] = `${key} = ${written}`;
    else {
      let last = tables - 1;
      while (last >= 0 && (lines[last]!.trim() === '' || lines[last]!.trim().startsWith('#'))) last--;
      lines.splice(last + 1, 0, `${key} = ${written}`);
      tables++;
    }
    deployment.push(key);
  }
  const kept = lines.join('\n');
  const after = Bun.TOML.parse(kept) as Vars;
  for (const key of DEPLOYMENT_KEYS) {
    if (Object.hasOwn(old, key) && !Bun.deepEquals(after[key], old[key], true)) throw new Error(`could not keep \`${key}\` of wrangler.toml: nothing was written`);
  }
  return { toml: kept, deployment };
}

/** `value` an array of which every item is also in `within` (the template added, say, a migration). */
function contained(value: unknown, within: unknown): boolean {
  return Array.isArray(value) && Array.isArray(within) && value.every((item) => within.some((other) => Bun.deepEquals(item, other, true)));
}

/**
 * The top-level settings and tables of `old` whose value the rewrite did not keep, as the user would
 * find them in the file: `logpush`, `[triggers]`, `[[durable_objects.bindings]]`. Names only.
 */
function resetSettings(old: Vars, written: Vars): string[] {
  const names = new Set<string>();
  for (const [key, value] of Object.entries(old)) {
    if (NOT_SETTINGS.has(key) || Bun.deepEquals(value, written[key], true) || contained(value, written[key])) continue;
    if (!isTable(value)) {
      names.add(Array.isArray(value) && value.length > 0 && value.every(isTable) ? `[[${key}]]` : key);
      continue;
    }
    const now = isTable(written[key]) ? written[key] : {};
    for (const [sub, item] of Object.entries(value)) {
      // The assets directory points into the installed package, as `main` does: edge init's own, not a setting.
      if ((key === 'assets' && sub === 'directory') || Bun.deepEquals(item, now[sub], true) || contained(item, now[sub])) continue;
      names.add(isTable(item) ? `[${key}.${sub}]` : Array.isArray(item) && item.length > 0 && item.every(isTable) ? `[[${key}.${sub}]]` : `[${key}]`);
    }
    if (Object.keys(value).length === 0 && !isTable(written[key])) names.add(`[${key}]`);
  }
  return [...names];
}

export interface CarriedToml extends KeptVars {
  /** The old file's [env.NAME] tables the rewrite left out. */
  envs: string[];
  /** Deployment keys (workers_dev, account_id, route, routes) kept where they differ from the template's. */
  deployment: string[];
  /** Other top-level settings and tables whose old value the template's replaced or left out. */
  reset: string[];
  /** Where the old file was kept, when edge init wrote it (the report names it). */
  backup?: string;
}

/** keepVars and keepDeployment over the old file's text; a file that is not TOML throws (nothing written). */
export function carryVars(template: string, oldText: string): CarriedToml {
  const old = readOld(oldText);
  const vars = keepVars(template, isTable(old.vars) ? old.vars : {});
  const { toml, deployment } = keepDeployment(vars.toml, old);
  return { ...vars, toml, deployment, reset: resetSettings(old, Bun.TOML.parse(toml) as Vars), envs: droppedEnvs(Bun.TOML.parse(template) as Vars, old) };
}

/** `[env.NAME]` as the user would find it in the file: a name that is no bare TOML key quoted. */
function envTable(name: string): string {
  return `[env.${/^[A-Za-z0-9_-]+$/.test(name) ? name : JSON.stringify(name)}]`;
}

/** What became of the old file's [vars] and environments, by name only: a value may be private even though vars are no secrets. */
export function varsReport(vars: CarriedToml, fallback: string): string[] {
  const backup = vars.backup ?? fallback;
  const lines: string[] = [];
  if (vars.deployment.length > 0) lines.push(`kept your ${vars.deployment.join(', ')} as you set them`);
  if (vars.reset.length > 0) lines.push(`settings reset to this bun-apm's template: ${vars.reset.join(', ')} (your values are in ${backup}: copy back what you need)`);
  // One line each: a deploy with `--env NAME` would otherwise run on the template's defaults unawares.
  for (const name of vars.envs) lines.push(`left out ${envTable(name)}: --force keeps only the top-level [vars]; copy back what \`--env ${name}\` needs (its values are in ${backup})`);
  if (vars.updated.length > 0) lines.push(`[vars] ${vars.updated.join(', ')}: an earlier bun-apm's default, now this one's (set again what you had meant: your file is in ${backup})`);
  if (vars.kept.length > 0) lines.push(`kept your [vars] ${vars.kept.join(', ')}${vars.added.length > 0 ? ` (${vars.added.join(', ')} added at the end of [vars]: this bun-apm's template does not list them)` : ''}`);
  if (vars.dropped.length > 0) lines.push(`left out [vars] ${vars.dropped.join(', ')}: not a setting this bun-apm's edge reads (their values are in ${backup})`);
  if (vars.secrets.length > 0) lines.push(`left out [vars] ${vars.secrets.join(', ')}: a secret never belongs in wrangler.toml; the next deploy runs without them until you run \`npx wrangler secret put NAME\` for each (the values are in ${backup})`);
  if (vars.unwritable.length > 0) lines.push(`could not keep [vars] ${vars.unwritable.join(', ')} (not a string, number, boolean, array or table): set them again from ${backup}`);
  // The backup holds what the report left out, secrets included: the edge's .gitignore lists it.
  if (vars.secrets.length > 0) lines.push(`${backup} holds those secrets' values: keep it out of git (the .gitignore edge init writes here lists wrangler.toml.bak*)`);
  return lines;
}
