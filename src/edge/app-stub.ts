// The AppStore of an app: one Durable Object per app id, addressed by name.
import type { AppStore } from './app-store.ts';
import type { Env } from './env.ts';

/**
 * The typed stub of the app's AppStore. wrangler.toml binds APP_STORE to that class; the type is
 * named here rather than in env.ts so that env.ts stays a leaf (the store reads Env too).
 */
export function appStore(env: Pick<Env, 'APP_STORE'>, app: string): DurableObjectStub<AppStore> {
  return env.APP_STORE.get(env.APP_STORE.idFromName(app)) as DurableObjectStub<AppStore>;
}
