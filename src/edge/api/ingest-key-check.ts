// POST /v1/check: whether an ingest key is good, and for which app, with the app's use today,
// without sending data. `bun-apm doctor` calls it, so checking a setup never shows up as an instance
// or as traffic of the app (only as the one read it is, in the usage figures).
import { readAlertConfig } from '../alerting/alert-config.ts';
import { appReader } from '../app-reader.ts';
import { ingestApp } from '../auth/authenticate.ts';
import { json } from '../http/errors.ts';
import type { Route } from '../http/router.ts';
import { callStore } from '../store-errors.ts';

export const ingestKeyCheckRoute: Route = {
  method: 'POST',
  path: '/v1/check',
  // Nothing is read from the body, nothing is stored: the key is checked (401 when wrong).
  handler: async ({ request, env }) => {
    const app = await ingestApp(request, env);
    // Every shard's, summed: the quotas are the account's, whichever store counted.
    const usage = await callStore(app, () => appReader(env, app).usageToday());
    // The app's configuration problems as the rules API lists them, as far as the vars tell (the code
    // rules' are the alert routes' alone): ALERT_RULES given but every rule left out, an unknown var
    // name (`PALN`), a channel left out. Doctor fails on them. Named, never a value (a secret's included).
    // `now`: the edge's clock, which doctor compares with the app's (a batch from its future is refused).
    return json({ ok: true, app, now: Date.now(), usage, configProblems: readAlertConfig(env).problemsFor(app) });
  },
};
