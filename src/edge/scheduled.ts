// The cron trigger (every minute): each app's AppStore gets a tick with the scheduled time. The
// store remembers it and re-arms its maintenance alarm; alerting evaluates its rules here.
import { appStore } from './app-stub.ts';
import { keyRing } from './auth/key-ring.ts';
import type { Env } from './env.ts';

export async function scheduled(controller: ScheduledController, env: Env, ctx: ExecutionContext): Promise<void> {
  const { apps } = await keyRing(env);
  const visits = apps.map((app) => appStore(env, app).tick(controller.scheduledTime, app));
  // One app's failure must not cost the others their tick.
  const results = await Promise.allSettled(visits);
  results.forEach((result, i) => {
    if (result.status === 'rejected') console.error(`bun-apm edge: tick of app ${apps[i]} failed: ${(result.reason as Error)?.message ?? result.reason}`);
  });
  void ctx;
}
