// POST /v1/check: whether an ingest key is good, and for which app, with the app's use today,
// without sending data. `bun-apm doctor` calls it, so checking a setup never shows up as an instance
// or as traffic of the app (only as the one read it is, in the usage figures).
import { appReader } from '../app-reader.ts';
import { ingestApp } from '../auth/authenticate.ts';
import { json } from '../http/errors.ts';
import type { Route } from '../http/router.ts';
import { callStore } from '../store-errors.ts';
import { unknownVars } from '../unknown-vars.ts';

export const ingestKeyCheckRoute: Route = {
  method: 'POST',
  path: '/v1/check',
  // Nothing is read from the body, nothing is stored: the key is checked (401 when wrong).
  handler: async ({ request, env }) => {
    const app = await ingestApp(request, env);
    // Every shard's, summed: the quotas are the account's, whichever store counted.
    const usage = await callStore(app, () => appReader(env, app).usageToday());
    // The edge's vars it does not know (`PALN`): doctor fails on them, as on an unknown BUN_APM_* name.
    return json({ ok: true, app, usage, settingsProblems: unknownVars(env) });
  },
};
