// What the Worker and its Durable Objects receive from wrangler.toml, secrets and bindings. A leaf:
// it imports nothing, so every module may read it (each taking `Pick<Env, …>` of what it uses)
// without a cycle. The Durable Object namespaces are therefore untyped here; the stub of each is
// typed where it is made (app-stub.ts, dashboard/edge-sign-in-store.ts).

/**
 * A var as wrangler passes it: a string, or the JSON value of a TOML number, boolean, array or table
 * (`ROUTE_CAP = 1000` is 1000). Read it through settingFromVar or varText (core/config/var-text.ts).
 */
export type Var = string | number | boolean | readonly unknown[] | { readonly [key: string]: unknown };

/** Vars have defaults in wrangler.toml; secrets are set with `wrangler secret put` (see core/config/edge-secrets.ts). */
export interface Env {
  /** One AppStore per app: reach one through app-stub.ts's appStore(). */
  APP_STORE: DurableObjectNamespace;
  /** The dashboard's sessions and sign-in failure limits (one object, see edge-sign-in-store.ts). */
  DASHBOARD_SESSIONS: DurableObjectNamespace;
  /** Static files of `public/` (the dashboard's scripts and styles). */
  ASSETS?: Fetcher;

  // Secrets.
  /** `app:key,app2:key2` — who may ingest into which app. */
  INGEST_KEYS?: string;
  /** `app:key,*:key2` — who may read which app (`*`: every app of INGEST_KEYS). */
  API_KEYS?: string;
  /** One key with read access to every app that also edits alert rules and resolves alerts. */
  ADMIN_API_KEY?: string;

  // Alerting: channels (secrets), rules and filters (vars), the send_email binding.
  SLACK_WEBHOOK_URL?: string;
  WEBHOOK_URL?: string;
  WEBHOOK_TOKEN?: string;
  /** HMAC key of the webhook signature; default WEBHOOK_TOKEN. */
  WEBHOOK_SECRET?: string;
  ALERT_EMAIL_TO?: string;
  ALERT_EMAIL_FROM?: string;
  PAGERDUTY_ROUTING_KEY?: string;
  /** Default PagerDuty's Events API v2 endpoint (https://events.pagerduty.com/v2/enqueue). */
  PAGERDUTY_URL?: Var;
  /** JSON (or a TOML array or table): `[rule, …]` for every app, or `{ "*": [rule, …], "shop": [rule, …] }`. */
  ALERT_RULES?: Var;
  /** JSON: `{ "slack": { "severities": ["critical"] }, "webhook": { "rules": ["slow"], "states": ["firing"] } }`. */
  ALERT_CHANNEL_FILTERS?: Var;
  /** Linked from notifications. */
  DASHBOARD_URL?: Var;
  /** `true` under `bun run dev:edge`: alert receivers may also be http:// on loopback. */
  BUN_APM_DEV?: Var;
  /** Cloudflare Email Routing's send_email binding (wrangler.toml). */
  EMAIL?: SendEmail;

  // Dashboard secrets: basic auth and/or an API key (login form → signed session cookie).
  DASHBOARD_USERNAME?: string;
  DASHBOARD_PASSWORD?: string;
  DASHBOARD_API_KEY?: string;
  SESSION_SECRET?: string;
  /** Where the dashboard is mounted (default /performance) and how often it refreshes (ms). */
  DASHBOARD_PATH?: Var;
  DASHBOARD_REFRESH_MS?: Var;

  // Vars: numbers as strings or TOML numbers; see src/core/config/settings.ts for meanings, ranges and defaults.
  MAX_BODY_BYTES?: Var;
  MAX_DECOMPRESSED_BYTES?: Var;
  MAX_BATCH_AGE_HOURS?: Var;
  ROUTE_CAP?: Var;
  INSTANCE_CAP?: Var;
  TEN_SECOND_RETENTION_HOURS?: Var;
  /** `on`: 10-second rows per route as well as for the whole app (more rows written). */
  TEN_SECOND_ROUTES?: Var;
  MINUTE_RETENTION_HOURS?: Var;
  HOUR_RETENTION_DAYS?: Var;
  DETAIL_RETENTION_DAYS?: Var;
  MAX_SAMPLES?: Var;
  MAX_SPANS?: Var;
  MAX_PROFILES?: Var;
  APDEX_THRESHOLD_MS?: Var;
  INGEST_RATE_LIMIT?: Var;
  MAINTENANCE_INTERVAL_SECONDS?: Var;
  /** `free` or `paid`: the Cloudflare plan whose limits the usage counts are shown against. */
  PLAN?: Var;
  /** Stores per app: a number for every app, or JSON `{ "*": 1, "shop": 4 }` (see shards.ts). */
  SHARDS?: Var;
}
