// `bun-apm doctor`: checks that an app will be monitored — the preload is set up and resolvable,
// the configuration is valid, and the edge accepts the app's ingest key.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeSampling, loadConfig, samplingOf } from '../preload/load-config.ts';
import { redactUrl } from '../runtime/exporters/endpoint-url.ts';
import { checkEdgeEntry, validateExporterConfigs } from '../runtime/exporters/exporter-config.ts';
import { originalFetch } from '../runtime/original-fetch.ts';
import { quoteAnswer } from '../runtime/log.ts';
import type { HeadersInput } from '../../core/http/headers-input.ts';
import { bunEnvironment, environmentFor } from './dot-env.ts';
import { checkAppDirectory, preloadsBunApm } from './init.ts';

/** `warnings` are printed under the check without failing it (a quota running out, say). */
type Check = { ok: boolean; label: string; detail: string; warnings?: string[] };

/** `now`: this machine's clock, compared with the edge's (a test moves it). */
export async function runChecks(dir: string, env: Record<string, string | undefined>, now: () => number = Date.now): Promise<Check[]> {
  const checks: Check[] = [];
  const bunfig = join(dir, 'bunfig.toml');
  // Read as Bun reads it: a commented line, `[test]`'s preload or a file Bun refuses preloads nothing for `bun run`.
  const preloaded = existsSync(bunfig) ? preloadsBunApm(readFileSync(bunfig, 'utf8')) : false;
  checks.push({
    ok: preloaded === true,
    label: 'preload',
    detail: preloaded === true ? 'bunfig.toml preloads bun-apm/preload'
      : preloaded === 'unreadable' ? 'bunfig.toml is not valid TOML, and Bun ignores all of it (a key given twice?): fix it'
      : 'bunfig.toml does not preload bun-apm: run `bunx bun-apm init`, or start with `bun --preload bun-apm/preload`',
  });

  try {
    const path = Bun.resolveSync('bun-apm/preload', dir);
    checks.push({ ok: true, label: 'package', detail: `bun-apm/preload resolves to ${path}` });
  } catch {
    checks.push({ ok: false, label: 'package', detail: 'bun-apm is not installed for this app: `bun add bun-apm`' });
  }

  // What the app gets: its directory's env files as Bun loads them (not .env alone: a JAEGER_ENDPOINT
  // in .env.local had failed an app that starts monitored), under the environment it is started with.
  const merged = bunEnvironment(dir, env);
  let config;
  try {
    config = await loadConfig(merged, dir, undefined);
  } catch (error) {
    checks.push({ ok: false, label: 'config', detail: (error as Error).message });
    return checks;
  }
  if (config.disabled) {
    checks.push({ ok: false, label: 'config', detail: 'BUN_APM_DISABLED is set: monitoring is off' });
    return checks;
  }
  // The preload checks the exporters only as it builds them, after loading the config: a bad entry
  // had passed here and then turned monitoring off at the app's start. Same checks, same words.
  const exporters = exportersProblem(config.exporters, merged, Boolean(config.endpoint));
  if (exporters !== undefined) {
    checks.push({ ok: false, label: 'config', detail: exporters });
    return checks;
  }
  // A misspelled setting fails the check: the app would run on the default it meant to change.
  checks.push({ ok: config.unknown.length === 0, label: 'config', detail: [`app "${config.app}", ${describeSampling(samplingOf(config))}, flush every ${config.flushIntervalMs} ms`, ...config.unknown].join('; ') });

  if (!config.endpoint) {
    checks.push({ ok: false, label: 'edge', detail: 'BUN_APM_ENDPOINT is not set: data is collected but shipped nowhere' });
    return checks;
  }
  checks.push(await checkEdge(config.endpoint, config.ingestKey, config.app, now));
  return checks;
}

/** What the preload would refuse in the exporter entries, in its order (start-monitoring.ts), else undefined. */
function exportersProblem(exporters: readonly { type?: unknown }[], env: Record<string, string | undefined>, hasEndpoint: boolean): string | undefined {
  try {
    checkEdgeEntry(exporters, hasEndpoint);
    validateExporterConfigs(exporters, env, true);
    return undefined;
  } catch (error) {
    return (error as Error).message.replace(/^bun-apm: /, '');
  }
}

/**
 * Asks the edge's key check (`POST /v1/check`), which stores nothing: a setup checked any number of
 * times adds no instance and no traffic to the app.
 */
async function checkEdge(endpoint: string, key: string | undefined, app: string, now: () => number): Promise<Check> {
  if (!key) return { ok: false, label: 'edge', detail: 'BUN_APM_INGEST_KEY is not set: the edge will refuse the data' };
  // The endpoint's user info may be a password: shown without it, as the preload shows it.
  const shown = redactUrl(endpoint).replace(/\/$/, '');
  try {
    const sent = { Authorization: `Bearer ${key}` };
    const response = await originalFetch(`${endpoint}/v1/check`, {
      method: 'POST',
      headers: sent,
      redirect: 'manual',
      signal: AbortSignal.timeout(5000),
    });
    const full = await response.text();
    const text = full.slice(0, 300);
    const answer = jsonOf(full);
    if (response.ok) {
      const keyApp = typeof answer?.app === 'string' ? answer.app : undefined;
      // A bun-apm edge names the key's app; any other server answering 200 (a page, a proxy) is no edge.
      if (keyApp === undefined) return { ok: false, label: 'edge', detail: `${shown} answered HTTP ${response.status} without naming an app: is BUN_APM_ENDPOINT a bun-apm edge (the Worker's URL)?` };
      if (keyApp !== app) {
        return { ok: false, label: 'edge', detail: `${shown} knows this ingest key as app "${keyApp}", not "${app}": set BUN_APM_APP or use that app's key` };
      }
      const problems = configProblemsOf(answer, sent, endpoint);
      if (problems.lines.length > 0) {
        const list = [...problems.lines, ...(problems.more > 0 ? [`and ${problems.more} more`] : [])].map((line) => `\n${DETAIL_INDENT}- ${line}`).join('');
        return { ok: false, label: 'edge', detail: `${shown} accepts the ingest key for app "${app}", but its configuration has problems, and it runs without what they name (rules and channels left out, settings it does not know):${list}\n${DETAIL_INDENT}Fix them in the edge's wrangler.toml [vars] (or its secrets) and deploy; GET /api/v1/apps/${app}/rules lists them all` };
      }
      const edgeTime = edgeNow(answer) ?? Date.parse(response.headers.get('date') ?? '');
      const ahead = clockApart(edgeTime, now());
      if (ahead !== undefined) return { ok: false, label: 'edge', detail: `${shown} accepts the ingest key for app "${app}", but this machine's clock is ${ahead} ahead of the edge's: it refuses batches from more than ${MAX_SKEW_MS / 60_000} minutes in its future; set the clock (NTP)` };
      const behind = clockApart(now(), edgeTime);
      if (behind !== undefined) return { ok: false, label: 'edge', detail: `${shown} accepts the ingest key for app "${app}", but this machine's clock is ${behind} behind the edge's: alert rules wait for an app's data ${MAX_SKEW_MS / 60_000} minutes at most, so they would never read this machine's; set the clock (NTP)` };
      const usage = usageIn(answer);
      return { ok: true, label: 'edge', detail: `${shown} accepts the ingest key for app "${app}" (HTTP ${response.status})${usage ? `; ${usage.summary}` : ''}`, warnings: usage?.warnings };
    }
    const said = errorMessageOf(answer, sent, endpoint);
    if (response.status === 401 || response.status === 403) {
      // A refusal that is no bun-apm edge's (a proxy, an access gate in front of it) is not about INGEST_KEYS (a review).
      if (said === undefined) return { ok: false, label: 'edge', detail: `${shown} answered HTTP ${response.status} without a bun-apm edge's error (${quoteAnswer(text, sent, endpoint) || 'no body'}): is BUN_APM_ENDPOINT the Worker's URL, or does something in front of it (a proxy, an access gate) refuse the request?` };
      return { ok: false, label: 'edge', detail: `${shown} refused the ingest key (HTTP ${response.status}): check INGEST_KEYS on the Worker (a deployed one: \`npx wrangler secret put INGEST_KEYS\` as \`bunx bun-apm keys\` prints it; \`edge dev\`: restart it, it reads .dev.vars at start)` };
    }
    if (response.status === 404) {
      // An edge that knows why (BUN_APM_ENDPOINT set to its dashboard's URL) says so.
      // With a path of its own (a page's URL copied), the edge's 404 says nothing of the fix.
      const path = new URL(endpoint).pathname.replace(/\/+$/, '');
      const fix = path === '' || said?.includes('BUN_APM_ENDPOINT') ? '' : `: BUN_APM_ENDPOINT is the edge's base URL, without a path (not ${quoteAnswer(path.slice(0, 100))})`;
      return { ok: false, label: 'edge', detail: said ? `${shown}: ${said}${fix}` : `${shown} has no key check (HTTP 404)${fix || ': is it a bun-apm edge, and as new as this bun-apm?'} (nothing was sent)` };
    }
    const location = response.headers.get('location');
    if (location !== null) return { ok: false, label: 'edge', detail: `${shown} redirects (HTTP ${response.status}) to ${location.slice(0, 200)}: set BUN_APM_ENDPOINT to where it points` };
    // Quoted as the preload quotes an answer: one line, no control characters, the key it echoes hidden (a review: printed raw).
    return { ok: false, label: 'edge', detail: `${shown} answered HTTP ${response.status}: ${quoteAnswer(text, sent, endpoint)}` };
  } catch (error) {
    return { ok: false, label: 'edge', detail: `${shown} is not reachable (${withoutUserInfo((error as Error).message, endpoint)})` };
  }
}

/**
 * Bun's network errors name no URL today; should one, the endpoint's user info is cut from it: the
 * password wherever it stands, the user name only as user info (`u@`). Cut everywhere, a user `u`
 * had made "Is the computer able to access the url?" read "comp…ter … …rl" (a review).
 */
function withoutUserInfo(text: string, endpoint: string): string {
  const { username, password } = new URL(endpoint);
  const out = password === '' ? text : text.split(password).join('…');
  return username === '' ? out : out.split(`${username}:…@`).join('…@').split(`${username}@`).join('…@');
}

/** The edge refuses a batch further in its future than this (validate-batch.ts's default skew). */
const MAX_SKEW_MS = 5 * 60_000;

/**
 * How far `later` is ahead of `earlier` (ms), in words, when near or past what the edge allows
 * either way (batches from its future are refused; alerts wait for data that far behind); else undefined.
 */
function clockApart(earlier: number, later: number): string | undefined {
  // The answer took some time, and a Date header has whole seconds: a minute's margin under the bound.
  if (!Number.isFinite(earlier) || !Number.isFinite(later) || later - earlier < MAX_SKEW_MS - 60_000) return undefined;
  const minutes = Math.round((later - earlier) / 60_000);
  return minutes < 120 ? `${minutes} minutes` : `${Math.round(minutes / 60)} hours`;
}

type Answer = { [key: string]: unknown } | undefined;

/** The edge's answer as JSON, read once; undefined for any other text. */
function jsonOf(text: string): Answer {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Answer) : undefined;
  } catch {
    return undefined;
  }
}

/** The `error.message` of a bun-apm edge's answer, quoted as the preload quotes an answer (the key it echoes hidden); undefined for any other. */
function errorMessageOf(answer: Answer, sent: HeadersInput, endpoint: string): string | undefined {
  const message = (answer?.error as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' ? quoteAnswer(message, sent, endpoint) : undefined;
}

/** The edge's clock in its key check's answer (edges before it say none: their Date header is read). */
function edgeNow(answer: Answer): number | undefined {
  const now = answer?.now;
  return typeof now === 'number' && Number.isFinite(now) ? now : undefined;
}

/** Where a check's detail starts on its line (`✗ edge     `): a detail's further lines line up under it. */
const DETAIL_INDENT = ' '.repeat(11);
/** A long list is cut: the rules API has the rest. */
const MAX_PROBLEM_LINES = 10;

/**
 * The app's configuration problems in the edge's answer (an older edge says none): the first ten,
 * each fit for a terminal line, and how many more.
 */
function configProblemsOf(answer: Answer, sent: HeadersInput, endpoint: string): { lines: string[]; more: number } {
  const listed = Array.isArray(answer?.configProblems) ? answer.configProblems : [];
  const problems = listed.filter((p): p is string => typeof p === 'string');
  // The key sent is never printed back, should an answer hold it.
  const lines = problems.slice(0, MAX_PROBLEM_LINES).map((p) => quoteAnswer(p, sent, endpoint));
  return { lines, more: problems.length - lines.length };
}

interface QuotaLine {
  label: string;
  used: number;
  projected: number;
  limit: number | null;
}

/**
 * Today's use of the app as the edge's answer tells it (an edge older than the usage counts says
 * nothing): a line of the figures, and its warnings before a free-plan quota runs out.
 */
export function usageOf(body: string): { summary: string; warnings: string[] } | null {
  return usageIn(jsonOf(body));
}

function usageIn(answer: Answer): { summary: string; warnings: string[] } | null {
  const usage = answer?.usage as { plan?: string | null; quotas?: QuotaLine[]; warnings?: Array<{ message?: string }> } | undefined;
  if (!usage || !Array.isArray(usage.quotas)) return null;
  const figures = usage.quotas.filter((q) => q.label !== 'SQLite storage')
    .map((q) => `${Math.round(q.used).toLocaleString('en-US')}${q.limit ? ` of ${q.limit.toLocaleString('en-US')}` : ''} ${q.label}`).join(', ');
  const warnings = (usage.warnings ?? []).map((w) => String(w.message ?? '')).filter((m) => m !== '');
  return { warnings, summary: `today (UTC) this app used ${figures}${usage.plan ? ` (PLAN ${usage.plan})` : ''}` };
}

export async function doctor(dir: string): Promise<number> {
  checkAppDirectory(dir);
  const checks = await runChecks(dir, environmentFor(dir));
  for (const check of checks) {
    console.log(`${check.ok ? '✓' : '✗'} ${check.label.padEnd(8)} ${check.detail}`);
    for (const warning of check.warnings ?? []) console.log(`! ${'usage'.padEnd(8)} ${warning}`);
  }
  return checks.every((c) => c.ok) ? 0 : 1;
}
