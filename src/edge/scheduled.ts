// The cron trigger. Each store with rules evaluates them on its own alarm (app-store.ts), so the
// hourly cron of wrangler.toml only wakes the stores of apps with rules in the config
// (alerts.config.ts or ALERT_RULES): it sets the alarm of a store nothing else has woken since the
// rules came. Apps without such rules are never visited; a rule added through the API wakes its
// store itself. An every-minute cron (an older wrangler.toml, the local runtime's /__scheduled)
// keeps the first design: it ticks every app with its scheduled time, and drives their evaluation.
import { appStore } from './app-stub.ts';
import { readAlertConfig } from './alerting/alert-config.ts';
import type { CodeRules } from './alerting/code-rules.ts';
import { keyRing } from './auth/key-ring.ts';
import type { Env } from './env.ts';

/** The cron expression that ticks (evaluates) rather than wakes. */
export const MINUTE_CRON = '* * * * *';

/** The apps whose config gives them rules; all of them when the config can't be read (each store then reports why). */
export function appsWithConfigRules(env: Env, codeRules: CodeRules, apps: readonly string[]): string[] {
  try {
    const config = readAlertConfig(env);
    return apps.filter((app) => codeRules.rulesFor(app).length > 0 || config.rulesFor(app).length > 0);
  } catch {
    return [...apps];
  }
}

export function createScheduled(codeRules: CodeRules) {
  return async function scheduled(controller: ScheduledController, env: Env, ctx: ExecutionContext): Promise<void> {
    const tick = controller.cron === MINUTE_CRON;
    const all = (await keyRing(env)).apps;
    const apps = tick ? all : appsWithConfigRules(env, codeRules, all);
    const visits = apps.map((app) => (tick ? appStore(env, app).tick(controller.scheduledTime, app) : appStore(env, app).wake(app)));
    // One app's failure must not cost the others their visit.
    const results = await Promise.allSettled(visits);
    results.forEach((result, i) => {
      if (result.status === 'rejected') console.error(`bun-apm edge: cron visit of app ${apps[i]} failed: ${(result.reason as Error)?.message ?? result.reason}`);
    });
    void ctx;
  };
}
