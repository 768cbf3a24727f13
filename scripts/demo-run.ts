// `npm run demo`: the whole product on this machine. The edge Worker in the local Workers runtime,
// two example services started with `--preload bun-apm/preload` (a bun-router storefront calling a
// Hono catalog), realistic traffic with a slowdown after a minute, alerts delivered to a local
// receiver that prints them, and the dashboard URL with its credentials. Started by scripts/demo.ts
// in a session of its own: SIGTERM (Ctrl-C there) stops the services, then the edge.
//   BUN_APM_DEMO_SECONDS=90 bun scripts/demo.ts   (default: until Ctrl-C)
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Subprocess } from 'bun';
import { randomToken } from '../src/core/auth/secrets.ts';
import { startLocalEdge } from './local-edge.ts';

const ROOT = join(import.meta.dir, '..');
const DIR = join(ROOT, '.bun-apm', 'demo');
const seconds = Number(process.env.BUN_APM_DEMO_SECONDS ?? 0);
const SPIKE_FROM = Number(process.env.BUN_APM_DEMO_SPIKE_AT ?? 60);
const SPIKE_TO = 150;

function demoKeys(): Record<string, string> {
  mkdirSync(DIR, { recursive: true });
  const file = join(DIR, 'keys.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8'));
  const keys = {
    storefront: `ing_${randomToken(18)}`, catalog: `ing_${randomToken(18)}`, read: `read_${randomToken(18)}`,
    admin: `adm_${randomToken(18)}`, dashboard: `dash_${randomToken(18)}`, password: randomToken(12), session: randomToken(24),
  };
  writeFileSync(file, JSON.stringify(keys, null, 2), { mode: 0o600 });
  return keys;
}

const keys = demoKeys();
const alertsSeen: string[] = [];

// Stands in for Slack and a webhook receiver: prints each notification as an on-call engineer sees it.
const receiver = Bun.serve({
  hostname: '127.0.0.1', port: 0,
  async fetch(request) {
    const body = (await request.json().catch(() => ({}))) as Record<string, unknown>;
    // The notification's own message: the value and threshold in their units, as Slack shows them.
    const said = typeof body.message === 'string' ? body.message : `"${body.ruleName}": value ${body.value} / threshold ${body.threshold}`;
    const line = typeof body.ruleName === 'string'
      ? `${String(body.state).toUpperCase()} ${body.severity} on ${body.app}: ${said}`
      : `notification: ${JSON.stringify(body).slice(0, 160)}`;
    alertsSeen.push(line);
    process.stdout.write(`\n🔔 ${line}\n`);
    return new Response('ok');
  },
});

const rules = [
  { id: 'search-p95', name: 'Search p95 above 250 ms', metric: 'p95', route: '/search', condition: 'gt', threshold: 250, duration: 60_000, severity: 'warning' },
  { id: 'error-rate', name: 'Error rate above 20 %', metric: 'errorRate', condition: 'gt', threshold: 0.2, duration: 120_000, severity: 'critical' },
];

const edge = await startLocalEdge({
  persistDir: join(DIR, 'state'),
  port: Number(process.env.PORT ?? 8787),
  bindings: {
    INGEST_KEYS: `storefront:${keys.storefront},catalog:${keys.catalog}`,
    API_KEYS: `*:${keys.read}`,
    ADMIN_API_KEY: keys.admin!,
    DASHBOARD_USERNAME: 'demo',
    DASHBOARD_PASSWORD: keys.password!,
    DASHBOARD_API_KEY: keys.dashboard!,
    SESSION_SECRET: keys.session!,
    DASHBOARD_REFRESH_MS: '2000',
    WEBHOOK_URL: `http://127.0.0.1:${receiver.port}/webhook`,
    ALERT_RULES: JSON.stringify(rules),
    BUN_APM_DEV: 'true',
  },
});
const edgeUrl = edge.url.href.replace(/\/$/, '');

const children: Subprocess[] = [];
function service(name: string, file: string, port: number, extra: Record<string, string>, args: string[] = []): Subprocess {
  const child = Bun.spawn([process.execPath, ...args, '--preload', 'bun-apm/preload', file], {
    cwd: ROOT,
    env: {
      ...process.env, PORT: String(port), BUN_APM_ENDPOINT: edgeUrl, BUN_APM_APP: name, BUN_APM_SERVICE: name,
      BUN_APM_SAMPLE_RATE: '0.2', BUN_APM_TRACE_SAMPLE_RATE: '0.1', BUN_APM_FLUSH_INTERVAL_MS: '2000', ...extra,
    },
    stdout: 'ignore', stderr: 'inherit',
  });
  children.push(child);
  return child;
}

/** A free port on loopback (asked of the OS), so the demo never collides with what runs already. */
function freePort(): number {
  const probe = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response() });
  const port = probe.port!;
  probe.stop(true);
  return port;
}
const CATALOG = freePort();
const STOREFRONT = freePort();
service('catalog', 'examples/demo/catalog.ts', CATALOG, { BUN_APM_INGEST_KEY: keys.catalog! });
service('storefront', 'examples/demo/storefront.ts', STOREFRONT, { BUN_APM_INGEST_KEY: keys.storefront!, CATALOG_URL: `http://127.0.0.1:${CATALOG}` }, ['--conditions=browser']);

let stopping = false;
let stopped: Promise<void> | undefined;
/** The simulated users' requests, so that a stop lets those under way finish rather than cutting them off. */
let traffic: Promise<unknown> = Promise.resolve();
/** Stops everything once, however many times it is asked (Ctrl-C, the end of the run, both). */
function stop(code = 0): Promise<void> {
  stopping = true;
  stopped ??= (async () => {
    process.stdout.write('\nStopping: the requests under way finish, services get their final flush, then the edge stops.\n');
    // As a deploy drains a server: a service stopped mid-request says at exit how many it cut off.
    await Promise.race([traffic, Bun.sleep(3000)]);
    for (const child of children) child.kill('SIGTERM');
    await Promise.race([Promise.all(children.map((c) => c.exited)), Bun.sleep(4000)]);
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await Promise.all(children.map((c) => c.exited));
    receiver.stop(true);
    // Stopping must end in an exit: a runtime that fails to stop is no reason to report the demo failed.
    await edge.dispose().catch(() => undefined);
    process.exit(code);
  })();
  return stopped;
}
// Miniflare's own exit hook would end this process at once on Ctrl-C and orphan the services;
// the demo stops them first and disposes the runtime itself.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.removeAllListeners(signal);
  process.on(signal, () => void stop(0));
}
// Out of the terminal's process group, nothing else would stop the demo if scripts/demo.ts were killed outright.
const launcher = process.ppid;
setInterval(() => {
  if (process.ppid !== launcher) void stop(0);
}, 1000).unref();

async function waitFor(url: string, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    if (await fetch(url).then((r) => r.ok, () => false)) return;
    await Bun.sleep(100);
  }
  throw new Error(`${url} did not come up`);
}
const worker = await edge.mf.getWorker();
await waitFor(`http://127.0.0.1:${CATALOG}/health`, Date.now() + 15_000);
await waitFor(`http://127.0.0.1:${STOREFRONT}/`, Date.now() + 15_000);

console.log(`
bun-apm demo
  dashboard   ${edgeUrl}/performance?app=storefront
              sign in with the API key ${keys.dashboard}   (or user "demo", password ${keys.password}, at /performance/login/basic)
  JSON API    curl -H 'X-API-Key: ${keys.read}' ${edgeUrl}/api/v1/apps/storefront/summary
  services    storefront (bun-router) http://127.0.0.1:${STOREFRONT}  →  catalog (Hono) http://127.0.0.1:${CATALOG}
  alerts      rules: ${rules.map((r) => r.name).join('; ')} — delivered to a local receiver, printed here
  traffic     normal, then /search slows down from ${SPIKE_FROM}s to ${SPIKE_TO}s (the p95 alert fires, then resolves)
Ctrl-C stops everything.
`);

const started = Date.now();
let sent = 0;
let failed = 0;
const elapsed = () => (Date.now() - started) / 1000;

async function one(): Promise<void> {
  const r = Math.random();
  const spike = elapsed() >= SPIKE_FROM && elapsed() < SPIKE_TO;
  const base = `http://127.0.0.1:${STOREFRONT}`;
  const request =
    r < 0.45 ? fetch(`${base}/products/${1 + Math.floor(Math.random() * 60)}`)
    : r < 0.75 ? fetch(`${base}/search?q=product&delay=${spike ? 600 : 40}`)
    : r < 0.9 ? fetch(`${base}/checkout`, { method: 'POST', body: JSON.stringify({ items: [1, 2] }), headers: { 'content-type': 'application/json' } })
    : fetch(`${base}/`);
  const response = await request.catch(() => null);
  sent++;
  if (!response || response.status >= 500) failed++;
  await response?.arrayBuffer().catch(() => undefined);
}

// Four users clicking about ten times a second each, bounded by the run time.
const workers = Array.from({ length: 4 }, async () => {
  while (!stopping && (seconds === 0 || elapsed() < seconds)) {
    await one();
    await Bun.sleep(50 + Math.random() * 100);
  }
});

// The cron trigger, as Cloudflare would fire it: every minute, for the minute that just began. The
// worker was asked for before the banner: asked now, a Ctrl-C right after it disposed the runtime
// under the pending call, and its rejection ended the demo with exit code 1.
const cron = setInterval(() => {
  void worker.scheduled({ cron: '* * * * *', scheduledTime: new Date() }).catch(() => undefined);
}, 60_000);

const progress = setInterval(() => {
  const phase = elapsed() >= SPIKE_FROM && elapsed() < SPIKE_TO ? 'slow /search' : 'normal';
  process.stdout.write(`\r  ${elapsed().toFixed(0).padStart(4)} s   ${sent.toLocaleString('en')} requests   ${failed} failed   ${phase}      `);
}, 1000);

traffic = Promise.all(workers);
await traffic;
clearInterval(cron);
clearInterval(progress);
const response = await fetch(`${edgeUrl}/api/v1/apps/storefront/summary`, { headers: { 'x-api-key': keys.read! } }).catch(() => null);
const summary = response?.ok ? ((await response.json()) as { requests: number }) : null;
console.log(`\n\nDemo finished: ${sent} requests sent; the edge had counted ${summary?.requests ?? 'none'} for storefront so far (the last flush follows on stop); ${alertsSeen.length} alert notifications.`);
await stop(0);
