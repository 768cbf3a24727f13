// Who is sending: app and service from the configuration, this process as the instance, and the
// runtime and bun-apm versions.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { clip, LIMITS, type Identity } from '../core/wire-format.ts';

/** bun-apm's own version, from its package.json. */
export const SDK_VERSION: string = (() => {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
})();

/** This process as an instance name: host and pid. */
export function processInstance(): string {
  let host = 'localhost';
  try {
    host = hostname() || host;
  } catch {
    // a sandbox without a hostname: the pid still tells instances apart on one machine
  }
  return clip(`${host}:${process.pid}`, LIMITS.nameLength);
}

export function processIdentity(app: string, service: string): Identity {
  return {
    app: clip(app, LIMITS.nameLength),
    service: clip(service, LIMITS.nameLength),
    instance: processInstance(),
    runtime: 'bun',
    runtimeVersion: clip(Bun.version, LIMITS.nameLength),
    sdkVersion: clip(SDK_VERSION, LIMITS.nameLength),
  };
}
