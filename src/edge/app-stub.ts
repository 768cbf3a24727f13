// The AppStores of an app: one Durable Object per app id and shard, addressed by name (shards.ts).
import type { AppStore } from './app-store.ts';
import type { Env } from './env.ts';
import { readShards, shardName, shardOf } from './shards.ts';

/**
 * The typed stub of the app's AppStore. wrangler.toml binds APP_STORE to that class; the type is
 * named here rather than in env.ts so that env.ts stays a leaf (the store reads Env too).
 */
export function appStore(env: Pick<Env, 'APP_STORE'>, app: string, shard = 0): DurableObjectStub<AppStore> {
  const name = shardName(app, shard);
  return env.APP_STORE.get(env.APP_STORE.idFromName(name)) as DurableObjectStub<AppStore>;
}

/** Every shard's store of the app, shard 0 first. */
export function appStores(env: Pick<Env, 'APP_STORE' | 'SHARDS'>, app: string): Array<DurableObjectStub<AppStore>> {
  return Array.from({ length: readShards(env)(app) }, (_, k) => appStore(env, app, k));
}

/** The store a batch of `instance` goes to (shard 0 when the sender did not say its instance). */
export function ingestStore(env: Pick<Env, 'APP_STORE' | 'SHARDS'>, app: string, instance: string | undefined): DurableObjectStub<AppStore> {
  return appStore(env, app, instance === undefined ? 0 : shardOf(instance, readShards(env)(app)));
}
