// POST /v1/check: whether an ingest key is good, and for which app, without sending data. `bun-apm
// doctor` calls it, so checking a setup never shows up as an instance or as traffic of the app.
import { ingestApp } from '../auth/authenticate.ts';
import { json } from '../http/errors.ts';
import type { Route } from '../http/router.ts';

export const ingestKeyCheckRoute: Route = {
  method: 'POST',
  path: '/v1/check',
  // Nothing is read from the body, nothing is stored: the key alone is checked (401 when wrong).
  handler: async ({ request, env }) => json({ ok: true, app: await ingestApp(request, env) }),
};
