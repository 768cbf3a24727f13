// The dashboard at the edge: the shared handler over the AppStores, configured by the Worker's
// DASHBOARD_* secrets. Built once per isolate and set of secrets, so failure counts persist.
import { createDashboardHandler, type DashboardHandler } from '../../core/dashboard/handler.ts';
import { ALL_FEATURES } from '../../core/dashboard/view-context.ts';
import { json } from '../../core/dashboard/security-headers.ts';
import { dashboardViews } from '../../views/index.ts';
import type { Env } from '../env.ts';
import { edgeSource } from './edge-source.ts';

let cached: { key: string; handler: DashboardHandler } | undefined;

function dashboardFor(env: Env): DashboardHandler {
  const key = JSON.stringify([env.DASHBOARD_PATH, env.DASHBOARD_REFRESH_MS, env.DASHBOARD_USERNAME, env.DASHBOARD_PASSWORD, env.DASHBOARD_API_KEY, env.SESSION_SECRET]);
  if (cached?.key === key) return cached.handler;
  const handler = createDashboardHandler({
    path: env.DASHBOARD_PATH || '/performance',
    title: 'bun-apm',
    refreshInterval: Number(env.DASHBOARD_REFRESH_MS) || 5000,
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
    // Workers static assets serve public/ at the root before the Worker runs.
    assetsPath: '',
  });
  cached = { key, handler };
  return handler;
}

/** The dashboard's answer, or null when the path is not the dashboard's. */
export async function edgeDashboard(request: Request, env: Env): Promise<Response | null> {
  const base = (env.DASHBOARD_PATH || '/performance').replace(/\/+$/, '');
  const { pathname } = new URL(request.url);
  if (pathname !== base && !pathname.startsWith(`${base}/`)) return null;
  if (!env.DASHBOARD_API_KEY && !(env.DASHBOARD_USERNAME && env.DASHBOARD_PASSWORD)) {
    // Never an open dashboard by accident: no credentials configured means no dashboard.
    return json({ error: { code: 'config_error', message: 'the dashboard needs DASHBOARD_API_KEY or DASHBOARD_USERNAME + DASHBOARD_PASSWORD' } }, 503);
  }
  return dashboardFor(env)(request, request.headers.get('cf-connecting-ip') ?? 'local');
}
