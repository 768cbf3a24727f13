// `bun run dev:edge`: the edge Worker in the local Workers runtime (workerd via Miniflare), with
// its state in .bun-apm/edge/ (gitignored). Every var and secret of the Worker is read from the
// environment (then .dev.vars); keys that are not given are generated once, kept in the state
// folder and printed. GET /__scheduled?cron=…&time=… fires the cron, as `wrangler dev --test-scheduled`.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { SECRET_NAMES } from '../src/core/config/edge-secrets.ts';
import { readWranglerConfig, startLocalEdge } from './local-edge.ts';

const ROOT = resolve(import.meta.dir, '..');
const stateRoot = resolve(ROOT, process.env.BUN_APM_STATE_DIR ?? '.bun-apm/edge');
const keysFile = join(stateRoot, 'dev-keys.json');
const KEY_NAMES = ['INGEST_KEYS', 'API_KEYS', 'ADMIN_API_KEY'] as const;

/** `NAME=value` lines of .dev.vars (wrangler's local secrets file), quotes optional. */
function readDevVars(): Record<string, string> {
  const path = join(ROOT, '.dev.vars');
  if (!existsSync(path)) return {};
  const vars: Record<string, string> = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const match = /^\s*([A-Z][A-Z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (match) vars[match[1]!] = match[2]!.replace(/^(['"])(.*)\1$/, '$2');
  }
  return vars;
}

const randomKey = () => Buffer.from(crypto.getRandomValues(new Uint8Array(24))).toString('base64url');

/** Local keys for whatever the environment didn't give, generated once and kept with the state. */
function localKeys(missing: string[], app: string): Record<string, string> {
  if (missing.length === 0) return {};
  const kept: Record<string, string> = existsSync(keysFile) ? JSON.parse(readFileSync(keysFile, 'utf8')) : {};
  const generated = {
    INGEST_KEYS: kept.INGEST_KEYS ?? `${app}:${randomKey()}`,
    API_KEYS: kept.API_KEYS ?? `*:${randomKey()}`,
    ADMIN_API_KEY: kept.ADMIN_API_KEY ?? randomKey(),
  };
  mkdirSync(stateRoot, { recursive: true });
  writeFileSync(keysFile, `${JSON.stringify(generated, null, 2)}\n`, { mode: 0o600 });
  chmodSync(keysFile, 0o600);
  return Object.fromEntries(missing.map((name) => [name, generated[name as keyof typeof generated]]));
}

const config = await readWranglerConfig();
const names = [...Object.keys(config.vars ?? {}), ...SECRET_NAMES];
const fromFile = readDevVars();
const given: Record<string, string> = {};
for (const name of names) {
  const value = process.env[name] ?? fromFile[name];
  if (value !== undefined && value !== '') given[name] = value;
}
const missing = KEY_NAMES.filter((name) => given[name] === undefined);
const generated = localKeys(missing, process.env.BUN_APM_APP ?? 'demo');
// BUN_APM_DEV marks the local runtime (e.g. alert channels may then post to http:// on loopback).
const bindings: Record<string, string> = { ...given, ...generated, BUN_APM_DEV: 'true' };

const port = Number(process.env.PORT ?? 8787);
const edge = await startLocalEdge({
  entry: 'local',
  persistDir: join(stateRoot, 'state'),
  port,
  host: process.env.HOST ?? '127.0.0.1',
  bindings,
}).catch((error: Error) => {
  console.error(`dev:edge could not start on port ${port}: ${error.message}`);
  process.exit(1);
});

const base = edge.url.href.replace(/\/$/, '');
const shown = (name: (typeof KEY_NAMES)[number]) => `  ${name}=${bindings[name]}   (${name in generated ? `generated, kept in ${relative(ROOT, keysFile)}` : 'from the environment'})`;
const firstIngestKey = bindings.INGEST_KEYS!.split(',')[0]!.split(':').slice(1).join(':');
console.log(`bun-apm edge ready at ${base}
  ingest      POST ${base}/v1/ingest        Authorization: Bearer <ingest key>
  export API  GET  ${base}/api/v1/apps      X-API-Key: <read key>
  cron        GET  ${base}/__scheduled?cron=*+*+*+*+*   (optional &time=<ms>)
  state       ${relative(ROOT, stateRoot)}/state
keys:
${KEY_NAMES.map(shown).join('\n')}
point an app at it:
  BUN_APM_ENDPOINT=${base} BUN_APM_INGEST_KEY=${firstIngestKey} bun --preload bun-apm/preload your-app.ts`);
// Ctrl-C / SIGTERM: Miniflare's own exit hook stops workerd, then the process ends by the signal.
