// The dashboard at the edge: the shared handler over the AppStores, configured by the Worker's
// DASHBOARD_* secrets, with its sessions and failure limits in the DashboardSessions object.
// Built once per isolate and set of secrets.
import { createDashboardHandler, type DashboardHandler } from '../../core/dashboard/handler.ts';
import { ALL_FEATURES } from '../../core/dashboard/view-context.ts';
import { asksForPage, errorPage } from '../../core/dashboard/browser-pages.ts';
import { problem } from '../../core/dashboard/security-headers.ts';
import { drainBody } from '../../core/http/request-body.ts';
import { MAX_FORM_BYTES } from '../../core/dashboard/read-form.ts';
import { dashboardViews } from '../../views/index.ts';
import { settingFromVar } from '../../core/config/read-setting.ts';
import { WORKER } from '../../core/config/settings.ts';
import { cachedByVars } from '../config-cache.ts';
import { CONFIG_ERROR_HEADERS, CONFIG_ERROR_STATUS, ConfigError } from '../config-error.ts';
import type { Env } from '../env.ts';
import { readSettings } from '../settings.ts';
import { edgeSignInStore } from './edge-sign-in-store.ts';
import { edgeSource } from './edge-source.ts';
import { namedStoreFailure } from '../store-errors.ts';

const DASHBOARD_VARS = ['DASHBOARD_PATH', 'DASHBOARD_REFRESH_MS', 'DASHBOARD_USERNAME', 'DASHBOARD_PASSWORD', 'DASHBOARD_API_KEY', 'SESSION_SECRET'] as const;

const dashboardFor = cachedByVars(DASHBOARD_VARS, (env: Env): DashboardHandler => {
  const settings = readSettings(env);
  return createDashboardHandler({
    path: settings.dashboardPath,
    title: 'bun-apm',
    refreshInterval: settings.dashboardRefreshMs,
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
    answerFailure: (error) => {
      const named = namedStoreFailure(error, 'an app the dashboard read');
      return named && problem(named.status, named.code, named.message, named.headers);
    },
  });
});

/** The dashboard's answer, or null when the path is not the dashboard's. `client` keys the sign-in limits. */
export async function edgeDashboard(request: Request, env: Env, client: string): Promise<Response | null> {
  let base: string;
  try {
    base = settingFromVar(WORKER.dashboardPath, env).replace(/\/+$/, '');
  } catch {
    // A DASHBOARD_PATH that can't be used: the API's router names it, whatever the path.
    return null;
  }
  const { pathname } = new URL(request.url);
  if (pathname !== base && !pathname.startsWith(`${base}/`)) return null;
  // BUN_APM_ENDPOINT set to the dashboard's URL: an app's batches and doctor's check arrive here
  // with an ingest key, which as a dashboard credential would count as failed sign-ins and lock the
  // operator out. Said as what it is, before any credential is looked at.
  if (request.method === 'POST' && /\/v1\/(ingest|check)$/.test(pathname)) {
    await drainBody(request, MAX_FORM_BYTES);
    return problem(404, 'not_found', `${pathname.slice(0, 256)} is under the dashboard (${base}): BUN_APM_ENDPOINT is the edge's base URL, ${new URL(request.url).origin}`);
  }
  if (!env.DASHBOARD_API_KEY?.trim() && !(env.DASHBOARD_USERNAME && env.DASHBOARD_PASSWORD)) {
    await drainBody(request, MAX_FORM_BYTES);
    // Never an open dashboard by accident: no credentials configured means no dashboard.
    return forBrowser(request, base, problem(503, 'config_error', 'the dashboard needs DASHBOARD_API_KEY or DASHBOARD_USERNAME + DASHBOARD_PASSWORD'));
  }
  let handler: DashboardHandler;
  try {
    handler = dashboardFor(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // A var the operator must fix, named and answered as the API answers it; its message never holds a secret.
    console.error(`bun-apm edge: configuration: ${error.message}`);
    await drainBody(request, MAX_FORM_BYTES);
    return forBrowser(request, base, problem(CONFIG_ERROR_STATUS, 'config_error', error.message, CONFIG_ERROR_HEADERS));
  }
  return handler(request, client);
}

/** A refusal before the dashboard could start, as a page for a browser (it showed the bare JSON), as JSON for programs. */
function forBrowser(request: Request, base: string, response: Response): Promise<Response> | Response {
  return asksForPage(request) ? errorPage(response, { title: 'bun-apm', assetsPath: '', base: base || '/' }) : response;
}
