// `bun-apm edge dev`: runs the edge that `edge init` wrote in the local Workers runtime, with
// `wrangler dev`, on the port the app's BUN_APM_ENDPOINT names, so the app reaches it unchanged.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readDotEnv } from './dot-env.ts';
import { DEFAULT_ENDPOINT } from './init.ts';

// Where `wrangler dev --ip 127.0.0.1` is reached: [::1] is not (doctor had been refused there).
const LOOPBACK = new Set(['127.0.0.1', 'localhost']);

/** The port to listen on: --port, else that of a loopback BUN_APM_ENDPOINT (environment, then .env), else 8787. */
export function devPort(appDir: string, env: Record<string, string | undefined>, flag: string | undefined): number {
  return portArgument('--port', flag ?? portOf(env.BUN_APM_ENDPOINT ?? readDotEnv(join(appDir, '.env')).BUN_APM_ENDPOINT ?? DEFAULT_ENDPOINT));
}

export function portArgument(flag: string, raw: string): number {
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port < 1 || port > 65535) throw new Error(`${flag}: expected 1..65535, got "${raw}"`);
  return port;
}

function portOf(endpoint: string): string {
  const fallback = new URL(DEFAULT_ENDPOINT).port;
  // Not a URL: the default port; doctor names the bad setting.
  const url = URL.canParse(endpoint) ? new URL(endpoint) : undefined;
  if (url?.hostname === '[::1]') {
    throw new Error(`BUN_APM_ENDPOINT ${endpoint}: edge dev listens on 127.0.0.1, which [::1] does not reach; set BUN_APM_ENDPOINT=http://127.0.0.1:${url.port || fallback}`);
  }
  return url && LOOPBACK.has(url.hostname) && url.port ? url.port : fallback;
}

/**
 * The wrangler bun-apm is tested with (package.json's devDependency; a test holds them equal). The
 * latest 4.x is no fallback: it can need a newer Node than the app has (4.164 asks for 22.12).
 */
export const TESTED_WRANGLER = '4.86.0';

/** The app's own wrangler, else one on PATH, else the tested version through `bun x`. */
export function wranglerCommand(appDir: string): string[] {
  const local = join(appDir, 'node_modules', '.bin', 'wrangler');
  if (existsSync(local)) return [local];
  const onPath = Bun.which('wrangler');
  if (onPath) return [onPath];
  return [process.execPath, 'x', `wrangler@${TESTED_WRANGLER}`];
}

/** `inspectorPort`: wrangler's devtools inspector (on 127.0.0.1; by default 9229, or the next port free). */
export async function edgeDev(appDir: string, dir: string, port: number, inspectorPort?: number): Promise<number> {
  if (!existsSync(join(dir, 'wrangler.toml'))) {
    throw new Error(`${dir} has no wrangler.toml: run \`bunx bun-apm edge init\` first`);
  }
  // Without its keys the edge would start and refuse every app (doctor then said to restart it).
  if (!existsSync(join(dir, '.dev.vars'))) {
    throw new Error(`${dir} has no .dev.vars, the edge's keys: run \`bunx bun-apm edge init\` (it keeps wrangler.toml and makes them)`);
  }
  // No --test-scheduled: each store's alarm evaluates its rules every minute, and wrangler's
  // /__scheduled answers any web page's GET (an <img> on a page the developer opened), a cron tick
  // that then kept the alarm from evaluating for 10 minutes. (wrangler 4.86 also serves
  // /cdn-cgi/handler/scheduled whatever the flags; with the package's [assets] it answers 500 and
  // ticks nothing, checked by a review: should that change, a page could fire it again.) Checked
  // again with wrangler 4.86 and the package's [assets]: --test-scheduled's /__scheduled does tick,
  // and answers a request marked Sec-Fetch-Site: cross-site alike, so it stays off; dev:edge's
  // /__scheduled (src/edge/local-entry.ts) is the one that refuses a page's request.
  const command = [...wranglerCommand(appDir), 'dev', '--ip', '127.0.0.1', '--port', String(port)];
  if (inspectorPort !== undefined) command.push('--inspector-port', String(inspectorPort));
  console.log(`bun-apm edge dev: ${command.join(' ')}  (in ${dir}; state in ${join(dir, '.wrangler')}; alert rules are evaluated every minute)`);
  const child = Bun.spawn(command, { cwd: dir, stdio: ['inherit', 'inherit', 'inherit'] });
  // Ctrl-C reaches wrangler through the terminal's process group; a signal to this process alone
  // is passed on (a SIGHUP, a closed terminal's, had left wrangler and workerd holding the port).
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => child.kill(signal));
  return await child.exited;
}
