// `bun-apm init`: sets an existing Bun app up for the preload — bunfig.toml, bun-apm.config.ts and
// the environment variables in .env (kept out of git) — without touching the app's code. The
// ingest key it writes is the app's key from then on: `keys` and `edge init` read it from .env.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { appIdOf } from '../../core/app-id.ts';
import { randomToken } from '../../core/auth/secrets.ts';
import { appendLines, parseDotEnv } from './dot-env.ts';
import { ensureIgnored } from './gitignore.ts';

export interface InitResult {
  app: string;
  ingestKey: string;
  changed: string[];
  unchanged: string[];
}

const PRELOAD = 'bun-apm/preload';

/** Adds the preload to bunfig.toml, keeping whatever else the file says. */
export function withPreload(bunfig: string): string {
  if (bunfig.includes(PRELOAD)) return bunfig;
  const lines = bunfig.split('\n');
  // A top-level `preload = [...]` (before any [table]) gets our entry first in its list.
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (/^\s*\[/.test(line)) break;
    const match = /^(\s*preload\s*=\s*\[)(.*)$/.exec(line);
    if (match) {
      const rest = match[2]!.trim();
      lines[i] = `${match[1]}"${PRELOAD}"${rest.startsWith(']') ? '' : ', '}${rest}`;
      return lines.join('\n');
    }
    const single = /^(\s*preload\s*=\s*)("[^"]*")\s*$/.exec(line);
    if (single) {
      lines[i] = `${single[1]}["${PRELOAD}", ${single[2]}]`;
      return lines.join('\n');
    }
  }
  return `preload = ["${PRELOAD}"]\n${bunfig}`;
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

/** The app id from package.json's name (scope dropped, other characters made `-`), else "app". */
export function appNameOf(dir: string): string {
  const pkgPath = join(dir, 'package.json');
  if (!existsSync(pkgPath)) return 'app';
  const name = (JSON.parse(readFileSync(pkgPath, 'utf8')) as { name?: unknown }).name;
  if (typeof name !== 'string') return 'app';
  return appIdOf(name) || 'app';
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
  return endpoint.replace(/\/+$/, '');
}

export function initApp(dir: string, endpoint?: string): InitResult {
  const endpointUrl = checkEndpoint(endpoint ?? DEFAULT_ENDPOINT); // before anything is written
  const changed: string[] = [];
  const unchanged: string[] = [];

  const bunfigPath = join(dir, 'bunfig.toml');
  const bunfig = existsSync(bunfigPath) ? readFileSync(bunfigPath, 'utf8') : '';
  const nextBunfig = withPreload(bunfig);
  if (nextBunfig !== bunfig) {
    writeFileSync(bunfigPath, nextBunfig);
    changed.push('bunfig.toml');
  } else unchanged.push('bunfig.toml');

  const configPath = join(dir, 'bun-apm.config.ts');
  if (!existsSync(configPath)) {
    writeFileSync(configPath, CONFIG_TEMPLATE);
    changed.push('bun-apm.config.ts');
  } else unchanged.push('bun-apm.config.ts');

  const envPath = join(dir, '.env');
  const env = existsSync(envPath) ? readFileSync(envPath, 'utf8') : '';
  const values = parseDotEnv(env);
  const app = values.BUN_APM_APP || appNameOf(dir);
  const ingestKey = values.BUN_APM_INGEST_KEY || `ing_${randomToken(24)}`;
  const additions: string[] = [];
  if (!values.BUN_APM_APP) additions.push(`BUN_APM_APP=${app}`);
  if (!values.BUN_APM_INGEST_KEY) additions.push(`BUN_APM_INGEST_KEY=${ingestKey}`);
  if (!values.BUN_APM_ENDPOINT) additions.push(`BUN_APM_ENDPOINT=${endpointUrl}`);
  if (additions.length > 0) {
    writeFileSync(envPath, appendLines(env, 'bun-apm', additions), { mode: 0o600 });
    changed.push('.env');
  } else unchanged.push('.env');

  // .env now holds a secret: it must never be committed.
  if (ensureIgnored(join(dir, '.gitignore'), ['.env'])) changed.push('.gitignore');
  else unchanged.push('.gitignore');

  return { app, ingestKey, changed, unchanged };
}
