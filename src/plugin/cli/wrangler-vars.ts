// The `[vars]` a user set in the edge's wrangler.toml, carried into the file `edge init --force`
// writes from a newer bun-apm's template: the rewrite had put PLAN, ALERT_RULES and the rest back
// to their defaults without a word.
import { WORKER } from '../../core/config/settings.ts';
import { SECRET_NAMES } from '../../edge/secret-names.ts';

/**
 * The vars the edge reads, by their env names: kept when the template does not list them (SHARDS,
 * DASHBOARD_PATH, …); left out, a SHARDS had left the stores app#1… unread after the redeploy.
 * Secrets never: they belong in `wrangler secret put`, not in a file that is committed.
 */
const SECRETS: ReadonlySet<string> = new Set(SECRET_NAMES);
const EDGE_VARS: ReadonlySet<string> = new Set(Object.values(WORKER).flatMap((setting) => (setting.env && !SECRETS.has(setting.env) ? [setting.env] : [])));

type Vars = Record<string, unknown>;

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
  const values = new Map<string, string>();
  const appended = new Map<string, string>();
  for (const [name, value] of Object.entries(old)) {
    const listed = Object.hasOwn(defaults, name);
    if (!listed && SECRETS.has(name)) secrets.push(name);
    else if (!listed && !EDGE_VARS.has(name)) dropped.push(name);
    if ((!listed && !EDGE_VARS.has(name)) || (listed && Bun.deepEquals(value, defaults[name], true))) continue;
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
  return { toml, kept, added, dropped, secrets, unwritable };
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
export function droppedEnvs(template: string, old: string): string[] {
  const envsOf = (text: string): Vars => {
    const env = (Bun.TOML.parse(text) as { env?: unknown }).env;
    return typeof env === 'object' && env !== null && !Array.isArray(env) ? (env as Vars) : {};
  };
  const kept = envsOf(template);
  return Object.entries(envsOf(old)).filter(([name, value]) => !Bun.deepEquals(value, kept[name], true)).map(([name]) => name);
}

/** keepVars over the old file's text; one Bun cannot read keeps nothing, and says so. */
export function carryVars(template: string, oldText: string): KeptVars & { unreadable: boolean; envs: string[] } {
  const old = varsOf(oldText);
  if (old === undefined) return { toml: template, kept: [], added: [], dropped: [], secrets: [], unwritable: [], unreadable: true, envs: [] };
  return { ...keepVars(template, old), unreadable: false, envs: droppedEnvs(template, oldText) };
}

/** `[env.NAME]` as the user would find it in the file: a name that is no bare TOML key quoted. */
function envTable(name: string): string {
  return `[env.${/^[A-Za-z0-9_-]+$/.test(name) ? name : JSON.stringify(name)}]`;
}

/** What became of the old file's [vars] and environments, by name only: a value may be private even though vars are no secrets. */
export function varsReport(vars: ReturnType<typeof carryVars>, backup: string): string[] {
  const lines: string[] = [];
  if (vars.unreadable) lines.push(`the old file is not TOML Bun can read: none of its [vars] kept (it is in ${backup})`);
  // One line each: a deploy with `--env NAME` would otherwise run on the template's defaults unawares.
  for (const name of vars.envs) lines.push(`left out ${envTable(name)}: --force keeps only the top-level [vars]; copy back what \`--env ${name}\` needs (its values are in ${backup})`);
  if (vars.kept.length > 0) lines.push(`kept your [vars] ${vars.kept.join(', ')}${vars.added.length > 0 ? ` (${vars.added.join(', ')} added at the end of [vars]: this bun-apm's template does not list them)` : ''}`);
  if (vars.dropped.length > 0) lines.push(`left out [vars] ${vars.dropped.join(', ')}: not a setting this bun-apm's edge reads (their values are in ${backup})`);
  if (vars.secrets.length > 0) lines.push(`left out [vars] ${vars.secrets.join(', ')}: a secret never belongs in wrangler.toml: \`npx wrangler secret put NAME\` (the values are in ${backup})`);
  if (vars.unwritable.length > 0) lines.push(`could not keep [vars] ${vars.unwritable.join(', ')} (not a string, number, boolean, array or table): set them again from ${backup}`);
  return lines;
}
