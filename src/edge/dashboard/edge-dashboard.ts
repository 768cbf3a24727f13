// The dashboard at the edge: the shared handler over the AppStores, configured by the Worker's
// DASHBOARD_* secrets, with its sessions and failure limits in the DashboardSessions object.
// Built once per isolate and set of secrets.
import { createDashboardHandler, type DashboardHandler } from '../../core/dashboard/handler.ts';
import { ALL_FEATURES } from '../../core/dashboard/view-context.ts';
import { problem } from '../../core/dashboard/security-headers.ts';
import { drainBody } from '../../core/http/request-body.ts';
import { MAX_FORM_BYTES } from '../../core/dashboard/read-form.ts';
import { dashboardViews } from '../../views/index.ts';
import type { Env } from '../env.ts';
import { edgeSignInStore } from './edge-sign-in-store.ts';
import { edgeSource } from './edge-source.ts';

let cached: { key: string; handler: DashboardHandler } | undefined;

function dashboardFor(env: Env): DashboardHandler {
  const key = JSON.stringify([env.DASHBOARD_PATH, env.DASHBOARD_REFRESH_MS, env.DASHBOARD_USERNAME, env.DASHBOARD_PASSWORD, env.DASHBOARD_API_KEY, env.SESSION_SECRET]);
  if (cached?.key === key) return cached.handler;
  const handler = createDashboardHandler({
    path: env.DASHBOARD_PATH || '/performance',
    title: 'bun-apm',
    // Default: the preload's default flush interval, so each refresh can bring new data.
    refreshInterval: Number(env.DASHBOARD_REFRESH_MS) || 10_000,
    features: ALL_FEATURES,
    authentication: {
      enabled: true,
      username: env.DASHBOARD_USERNAME,
      password: env.DASHBOARD_PASSWORD,
      apiKey: env.DASHBOARD_API_KEY,
      sessionSecret: env.SESSION_SECRET,
    },
    source: edgeSource(env, Date.now),
    views: dashboardViews,
    signInStore: edgeSignInStore(env),
    // Workers static assets serve public/ at the root before the Worker runs.
    assetsPath: '',
  });
  cached = { key, handler };
  return handler;
}

/** The dashboard's answer, or null when the path is not the dashboard's. `client` keys the sign-in limits. */
export async function edgeDashboard(request: Request, env: Env, client: string): Promise<Response | null> {
  const base = (env.DASHBOARD_PATH || '/performance').replace(/\/+$/, '');
  const { pathname } = new URL(request.url);
  if (pathname !== base && !pathname.startsWith(`${base}/`)) return null;
  if (!env.DASHBOARD_API_KEY && !(env.DASHBOARD_USERNAME && env.DASHBOARD_PASSWORD)) {
    await drainBody(request, MAX_FORM_BYTES);
    // Never an open dashboard by accident: no credentials configured means no dashboard.
    return problem(503, 'config_error', 'the dashboard needs DASHBOARD_API_KEY or DASHBOARD_USERNAME + DASHBOARD_PASSWORD');
  }
  return dashboardFor(env)(request, client);
}
