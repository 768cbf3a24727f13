// Who is sending: app and service from the configuration, the instance (the same across restarts
// of one deployment: host, app and BUN_APM_INSTANCE; the pid rides along as a detail), and the
// runtime and bun-apm versions.
import { clip, LIMITS, type Identity } from '../../core/wire-format.ts';

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
  return (raw ?? '').replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, 64);
}

/**
 * This deployment as an instance id: `host:app`, or `host:app:label` with `BUN_APM_INSTANCE=label`
 * (set it when one host runs several processes of one app, e.g. the worker's index). The pid is
 * not in it, so a restart keeps its instance (and its line on the System charts).
 *
 * @example
 * processInstance('shop', { BUN_APM_INSTANCE: 'worker-2' }); // → 'web-1:shop:worker-2'
 */
export function processInstance(app: string, env: Record<string, string | undefined> = process.env): string {
  const host = hostName();
  const extra = label(env.BUN_APM_INSTANCE);
  return clip(extra ? `${host}:${app}:${extra}` : `${host}:${app}`, LIMITS.nameLength);
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
