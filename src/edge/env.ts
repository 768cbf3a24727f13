// What the Worker and its Durable Objects receive from wrangler.toml, secrets and bindings.
import type { AppStore } from './app-store.ts';

/** Vars have defaults in wrangler.toml; secrets are set with `wrangler secret put` (see secret-names.ts). */
export interface Env {
  APP_STORE: DurableObjectNamespace<AppStore>;
  /** Static files of `public/` (the dashboard's scripts and styles). */
  ASSETS?: Fetcher;

  // Secrets.
  /** `app:key,app2:key2` — who may ingest into which app. */
  INGEST_KEYS?: string;
  /** `app:key,*:key2` — who may read which app (`*`: every app of INGEST_KEYS). */
  API_KEYS?: string;
  /** One key with read access to every app (and rule editing, once alerting lands). */
  ADMIN_API_KEY?: string;

  // Dashboard secrets: basic auth and/or an API key (login form → signed session cookie).
  DASHBOARD_USERNAME?: string;
  DASHBOARD_PASSWORD?: string;
  DASHBOARD_API_KEY?: string;
  SESSION_SECRET?: string;
  /** Where the dashboard is mounted (default /performance) and how often it refreshes (ms). */
  DASHBOARD_PATH?: string;
  DASHBOARD_REFRESH_MS?: string;

  // Vars: numbers as strings; see settings.ts for meanings and defaults.
  MAX_BODY_BYTES?: string;
  MAX_DECOMPRESSED_BYTES?: string;
  MAX_BATCH_AGE_HOURS?: string;
  ROUTE_CAP?: string;
  INSTANCE_CAP?: string;
  MINUTE_RETENTION_HOURS?: string;
  HOUR_RETENTION_DAYS?: string;
  DETAIL_RETENTION_DAYS?: string;
  MAX_SAMPLES?: string;
  MAX_SPANS?: string;
  MAX_PROFILES?: string;
  APDEX_THRESHOLD_MS?: string;
  INGEST_RATE_LIMIT?: string;
  MAINTENANCE_INTERVAL_SECONDS?: string;
}
