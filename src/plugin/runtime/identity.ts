// Who is sending: app and service from the configuration, the instance (the same across restarts
// of one deployment: host, app and BUN_APM_INSTANCE or the launcher's slot; the pid rides along as a
// detail), and the runtime and bun-apm versions.
import { clip, LIMITS, type Identity } from '../../core/wire-format.ts';
import { launcherSlot } from './launcher-slot.ts';

/** The package build writes the version in here (scripts/build.ts); run from source it is undefined. */
declare const PACKAGE_VERSION_AT_BUILD: string | undefined;

/**
 * bun-apm's own version: written in by the package build, since its package.json, once loaded as a
 * module, stays in the app's heap for good (286 objects, marked by every full collection); read
 * from package.json through the module loader when run from source.
 */
export const SDK_VERSION: string = typeof PACKAGE_VERSION_AT_BUILD === 'string' ? PACKAGE_VERSION_AT_BUILD : (() => {
  try {
    const pkg = import.meta.require('../../../package.json') as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
})();

/**
 * The host's name, once known. The preload learns it with `learnHostName()` from /proc through
 * Bun.file where it can: node:os, once loaded, stays in the app's heap for good (~1,000 objects with
 * its hostname(), marked by every full garbage collection). Elsewhere node:os is loaded when first asked.
 */
let knownHost: string | undefined;

/** Reads the host's name without node:os where the system offers it (Linux; `file` for tests). */
export async function learnHostName(file = '/proc/sys/kernel/hostname'): Promise<void> {
  if (knownHost !== undefined || process.platform !== 'linux') return;
  const name = (await Bun.file(file).text().catch(() => '')).trim();
  if (name !== '') knownHost = name;
}

function hostName(): string {
  if (knownHost === undefined) {
    try {
      knownHost = (require('node:os') as typeof import('node:os')).hostname() || 'localhost';
    } catch {
      knownHost = 'localhost'; // a sandbox without a hostname: app and label still name the deployment
    }
  }
  return knownHost;
}

/** Printable characters only, at most 64: an instance label from the environment goes into ids and charts. */
function label(raw: string | undefined): string {
  return clip((raw ?? '').replace(/[\u0000-\u001f\u007f]/g, '').trim(), 64);
}

/**
 * This process as an instance id: `host:app`, or `host:app:label` with `BUN_APM_INSTANCE=label`,
 * else `host:app:worker-<id>` in a node:cluster worker and `host:app:pm2-<n>` under pm2, so the
 * processes of one app on one host are instances of their own. The pid is not in it, so a restart
 * keeps its instance (and its line on the System charts), and the edge's instance cap is not filled
 * with one id per restart.
 *
 * @example
 * processInstance('shop', { BUN_APM_INSTANCE: 'worker-2' }); // → 'web-1:shop:worker-2'
 * processInstance('shop', { NODE_UNIQUE_ID: '2' }); // → 'web-1:shop:worker-2'
 */
export function processInstance(app: string, env: Record<string, string | undefined> = process.env): string {
  const host = hostName();
  const extra = label(env.BUN_APM_INSTANCE);
  if (extra) return clip(`${host}:${app}:${extra}`, LIMITS.nameLength);
  return withSuffix(`${host}:${app}`, launcherSlot(env));
}

/**
 * The instance once the app's first server starts. Processes that share a port with
 * `Bun.serve({ reusePort: true })` are named by nothing at preload: such a process gets its pid
 * appended (`host:app:pid-<pid>`, a new instance each restart), unless BUN_APM_INSTANCE or a
 * launcher's slot already tells it apart. For the preload to adopt at its first Bun.serve, while no
 * batch is sealed (the id is fixed at load until it does: set BUN_APM_INSTANCE for such processes).
 */
export function servingInstance(app: string, serveOptions: unknown, env: Record<string, string | undefined> = process.env): string {
  const instance = processInstance(app, env);
  if (label(env.BUN_APM_INSTANCE) || launcherSlot(env) || !reusesPort(serveOptions)) return instance;
  return withSuffix(instance, `pid-${process.pid}`);
}

function reusesPort(options: unknown): boolean {
  try {
    return typeof options === 'object' && options !== null && (options as { reusePort?: unknown }).reusePort === true;
  } catch {
    return false; // a throwing getter: the app's server, not ours to question
  }
}

/** `base:suffix` within the id's length, the suffix kept whole: it is what tells the processes apart. */
function withSuffix(base: string, suffix: string): string {
  if (suffix === '') return clip(base, LIMITS.nameLength);
  return `${clip(base, LIMITS.nameLength - suffix.length - 1)}:${suffix}`;
}

export function processIdentity(app: string, service: string, env: Record<string, string | undefined> = process.env): Identity {
  return {
    app: clip(app, LIMITS.nameLength),
    service: clip(service, LIMITS.nameLength),
    instance: processInstance(app, env),
    pid: process.pid,
    runtime: 'bun',
    runtimeVersion: clip(Bun.version, LIMITS.nameLength),
    sdkVersion: clip(SDK_VERSION, LIMITS.nameLength),
  };
}
