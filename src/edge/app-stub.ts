// The AppStore of an app: one Durable Object per app id, addressed by name.
import type { Env } from './env.ts';

export function appStore(env: Env, app: string): DurableObjectStub<import('./app-store.ts').AppStore> {
  return env.APP_STORE.get(env.APP_STORE.idFromName(app));
}
