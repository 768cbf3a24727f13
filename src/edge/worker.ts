// The Worker entry: a thin router over the features' route tables, the cron handler, and the
// AppStore Durable Object class.
import { alertRoutes } from './alerting/alert-routes.ts';
import { readRoutes } from './api/read-routes.ts';
import type { Env } from './env.ts';
import { json } from './http/errors.ts';
import { createRouter, type Route } from './http/router.ts';
import { edgeDashboard } from './dashboard/edge-dashboard.ts';
import { handleIngest } from './ingest/handle-ingest.ts';
import { scheduled } from './scheduled.ts';

export { AppStore } from './app-store.ts';

const routes: Route[] = [
  { method: 'GET', path: '/healthz', handler: () => json({ ok: true }) },
  { method: 'POST', path: '/v1/ingest', handler: handleIngest },
  ...readRoutes,
  ...alertRoutes,
];

const api = createRouter(routes);

export default {
  async fetch(request, env, ctx) {
    return (await edgeDashboard(request, env)) ?? api(request, env, ctx);
  },
  scheduled,
} satisfies ExportedHandler<Env>;
