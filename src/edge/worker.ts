// The Worker entry: a thin router over the features' route tables, the cron handler, and the
// Durable Object classes. Every answer leaves with the security headers that fit it. The rules
// written in code (alerts.config.ts) are imported here and handed to the AppStore and the alert
// routes: this module decides which rules its Worker runs.
import { securityHeaders } from '../core/dashboard/security-headers.ts';
import alerts from './alerts.config.ts';
import { alertRoutes } from './alerting/alert-routes.ts';
import type { CodeRules } from './alerting/code-rules.ts';
import { readRoutes } from './api/read-routes.ts';
import { usageRoutes } from './api/usage-routes.ts';
import { clientOf, type Runtime } from './dashboard/client-address.ts';
import type { Env } from './env.ts';
import { keyRing } from './auth/key-ring.ts';
import { json } from './http/errors.ts';
import { createRouter, type Route } from './http/router.ts';
import { edgeDashboard } from './dashboard/edge-dashboard.ts';
import { handleIngest } from './ingest/handle-ingest.ts';
import { createScheduled } from './scheduled.ts';
import { AppStore as AppStoreOf, type AppStoreEnv } from './app-store.ts';

import { DashboardSessions } from './dashboard/dashboard-sessions.ts';

export { DashboardSessions };
export { defineAlerts, type AlertsConfig, type CodeRule, type CodeRules } from './alerting/code-rules.ts';

/**
 * A Durable Object class as the runtime constructs it. Just that: the store's methods are this
 * Worker's own RPC, and a declaration naming them would ship the types of the whole store with the package.
 */
type DurableObjectClass = new (ctx: DurableObjectState, env: Env) => Rpc.DurableObjectBranded;

/** The AppStore of a Worker whose rules in code are `codeRules`. */
function storeWithRules(codeRules: CodeRules): DurableObjectClass {
  return class StoreWithRules extends AppStoreOf {
    constructor(ctx: DurableObjectState, env: AppStoreEnv) {
      super(ctx, env, codeRules);
    }
  };
}

const routes: Route[] = [
  // The keys read too: a secret the edge cannot use (two apps sharing a key) refuses every app, and
  // a health check answering 200 meanwhile had told an uptime monitor all was well (a review).
  {
    method: 'GET',
    path: '/healthz',
    handler: async ({ env }) => {
      await keyRing(env);
      return json({ ok: true });
    },
  },
  { method: 'POST', path: '/v1/ingest', handler: handleIngest },
  ...readRoutes,
  ...usageRoutes,
];

export type Answer = (request: Request, env: Env, ctx: ExecutionContext, runtime: Runtime) => Promise<Response>;

/** The request handler of a Worker whose rules in code are `codeRules` (local-entry.ts makes one for a test's own). */
export function createAnswer(codeRules: CodeRules): Answer {
  const api = createRouter([...routes, ...alertRoutes(codeRules)]);
  return async function answer(request, env, ctx, runtime) {
    let response: Response;
    try {
      response = (await edgeDashboard(request, env, clientOf(request, runtime, env))) ?? (await api(request, env, ctx));
    } catch (error) {
      // Never the runtime's plain-text 500, never an internal message.
      console.error(`bun-apm edge: ${request.method} ${new URL(request.url).pathname} failed: ${(error as Error)?.name ?? 'Error'}: ${(error as Error)?.message ?? String(error)}`);
      response = json({ error: { code: 'internal_error', message: 'the edge failed to answer this request' } }, 500);
    }
    return withBaselineHeaders(response);
  };
}

/** Fills in the data kind's security headers a response lacks (a page sets its own, stricter for scripts). */
function withBaselineHeaders(response: Response): Response {
  const missing = Object.entries(securityHeaders('data')).filter(([name]) => !response.headers.has(name));
  if (missing.length === 0) return response;
  const headers = new Headers(response.headers);
  for (const [name, value] of missing) headers.set(name, value);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}


/**
 * The Worker with rules in code of an installed app's own (`customEvaluator` rules, which JSON
 * cannot carry): an entry beside its wrangler.toml exports what this returns, and `main` points at
 * that entry. The package's own entry (below) is one of these.
 *
 * @example
 * // bun-apm-edge/worker.ts
 * import { defineAlerts, edgeWorker } from 'bun-apm/edge';
 * const edge = edgeWorker(defineAlerts({ rules: [{ id: 'slow-west', name: 'Slow in the west', metric: 'custom', condition: 'gt', threshold: 0, severity: 'warning', customEvaluator: (m) => m.filter((r) => r.responseTime > 2000).length }] }));
 * export const { AppStore, DashboardSessions } = edge;
 * export default edge.worker;
 */
export function edgeWorker(codeRules: CodeRules): { worker: ExportedHandler<Env>; AppStore: DurableObjectClass; DashboardSessions: typeof DashboardSessions } {
  const answerWith = createAnswer(codeRules);
  return {
    worker: {
      fetch: (request, env, ctx) => answerWith(request, env, ctx, 'cloudflare'),
      scheduled: createScheduled(codeRules),
    },
    AppStore: storeWithRules(codeRules),
    DashboardSessions,
  };
}

/** The package's own Worker: edgeWorker with the rules in code of alerts.config.ts (none as shipped). */
const own = edgeWorker(alerts);

/** The AppStore the runtime constructs: the store with this Worker's rules in code. */
export const AppStore: DurableObjectClass = own.AppStore;

export default own.worker;
