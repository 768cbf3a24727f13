// Sharded stores: an app may be spread over N AppStores (the SHARDS var: a number for every app,
// or JSON per app, `{ "*": 1, "shop": 4 }`). Each batch goes to one shard by its instance
// (hash(instance) % N), so an instance's batches, its retries among them, always meet in one
// store; every read asks every shard and merges. Shard 0 is the app's own store, under the app's
// name as before sharding: raising SHARDS later keeps what it holds readable, and shard k > 0 is
// named `app#k` (`#` is not a character of app ids). Alerting (rules, states, outbox) lives in
// shard 0, which reads the other shards' data when it evaluates.
import { settingFromVar } from '../core/config/read-setting.ts';
import { WORKER } from '../core/config/settings.ts';
import { ConfigError } from './config-error.ts';

/** Shards an app may have at most. */
export const MAX_SHARDS = 64;
const SEPARATOR = '#';

/** What the shard count is read from (Env's SHARDS; a plain shape, so Bun-side tests can import this module). */
type ShardsVar = { SHARDS?: unknown };

const cache = new WeakMap<ShardsVar, (app: string) => number>();

/** How many shards each app has; throws a ConfigError naming SHARDS when it is not a count or JSON of counts. */
export function readShards(env: ShardsVar): (app: string) => number {
  const cached = cache.get(env);
  if (cached) return cached;
  // The table bounds its length before anything parses it.
  const raw = (settingFromVar(WORKER.shards, env) ?? '').trim();
  let counts: Record<string, number> = {};
  if (raw === '') {
    counts = {};
  } else if (/^\d+$/.test(raw)) {
    counts = { '*': Number(raw) };
  } else {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw new ConfigError('SHARDS: expected a number of shards, or JSON of app → number ({ "*": 1, "shop": 4 })');
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError('SHARDS: expected JSON of app → number ({ "*": 1, "shop": 4 })');
    counts = parsed as Record<string, number>;
  }
  for (const [app, count] of Object.entries(counts)) {
    if (!Number.isInteger(count) || count < 1 || count > MAX_SHARDS) {
      throw new ConfigError(`SHARDS${app === '*' && /^\d+$/.test(raw) ? '' : `.${app}`}: expected an integer 1..${MAX_SHARDS}, got ${JSON.stringify(count).slice(0, 32)}`);
    }
  }
  // Own entries only: an app named `constructor` or `toString` must not find Object.prototype's.
  const own = (name: string) => (Object.hasOwn(counts, name) ? counts[name] : undefined);
  const shardsOf = (app: string) => own(app) ?? own('*') ?? 1;
  cache.set(env, shardsOf);
  return shardsOf;
}

/**
 * The shard of `shards` an instance's batches go to: FNV-1a of its name, mixed by murmur3's
 * finaliser (FNV's low bits alone put names like `web-1:101`, `web-2:102` all in one shard).
 */
export function shardOf(instance: string, shards: number): number {
  if (shards <= 1) return 0;
  let hash = 0x811c9dc5;
  for (let i = 0; i < instance.length; i++) {
    hash ^= instance.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return (hash >>> 0) % shards;
}

/** The Durable Object name of shard `k` of `app`. */
export function shardName(app: string, k: number): string {
  return k === 0 ? app : `${app}${SEPARATOR}${k}`;
}

/** The app and shard a store's name says (`shop#2` → shop, 2; `shop` → shop, 0). */
export function parseShardName(name: string): { app: string; shard: number } {
  const at = name.lastIndexOf(SEPARATOR);
  if (at < 0) return { app: name, shard: 0 };
  const shard = Number(name.slice(at + 1));
  return Number.isInteger(shard) && shard > 0 ? { app: name.slice(0, at), shard } : { app: name, shard: 0 };
}
