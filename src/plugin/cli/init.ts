// `bun-apm init`: sets an existing Bun app up for the preload — bunfig.toml, bun-apm.config.ts and
// the environment variables in .env — without touching the app's code.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomToken } from '../../core/auth/secrets.ts';

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

const CONFIG_TEMPLATE = `// bun-apm: what the environment variables can't say. See the README's configuration reference.
import { defineConfig } from 'bun-apm';

export default defineConfig({
  // samplesPerSecond: 10,    // detail records per second, whatever the traffic (all requests are counted)
  // tracesPerSecond: 1,      // new traces per second
  // sampleRate: 0.1,         // or a fixed share of requests with a detail record instead
  // exporters: [{ type: 'otlp', endpoint: 'http://127.0.0.1:4318' }],
});
`;

export function initApp(dir: string, endpoint?: string): InitResult {
  const changed: string[] = [];
  const unchanged: string[] = [];
  const pkgPath = join(dir, 'package.json');
  let app = 'app';
  if (existsSync(pkgPath)) {
    const name = (JSON.parse(readFileSync(pkgPath, 'utf8')) as { name?: unknown }).name;
    if (typeof name === 'string' && name) app = name.replace(/^@[^/]+\//, '').replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 64);
  }

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
  const existingKey = /^BUN_APM_INGEST_KEY=(.*)$/m.exec(env)?.[1];
  const ingestKey = existingKey ?? `ing_${randomToken(24)}`;
  const additions: string[] = [];
  if (!/^BUN_APM_APP=/m.test(env)) additions.push(`BUN_APM_APP=${app}`);
  if (!existingKey) additions.push(`BUN_APM_INGEST_KEY=${ingestKey}`);
  if (!/^BUN_APM_ENDPOINT=/m.test(env)) additions.push(`BUN_APM_ENDPOINT=${endpoint ?? 'http://127.0.0.1:8787'}`);
  if (additions.length > 0) {
    writeFileSync(envPath, `${env}${env && !env.endsWith('\n') ? '\n' : ''}# bun-apm\n${additions.join('\n')}\n`);
    changed.push('.env');
  } else unchanged.push('.env');

  return { app, ingestKey, changed, unchanged };
}
