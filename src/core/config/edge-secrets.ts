// The Worker's secrets by name: `dev:edge` passes these through from the environment, and the
// README lists them for `wrangler secret put`, and the CLI's `edge init` writes them. Plain data, in
// core so that the CLI (src/plugin) may import it.

export const SECRET_NAMES = [
  // Edge: ingest and the export API.
  'INGEST_KEYS',
  'API_KEYS',
  'ADMIN_API_KEY',
  // Dashboard.
  'DASHBOARD_USERNAME',
  'DASHBOARD_PASSWORD',
  'DASHBOARD_API_KEY',
  'SESSION_SECRET',
  // Alert channels.
  'SLACK_WEBHOOK_URL',
  'WEBHOOK_URL',
  'WEBHOOK_TOKEN',
  'WEBHOOK_SECRET',
  'ALERT_EMAIL_TO',
  'ALERT_EMAIL_FROM',
  'PAGERDUTY_ROUTING_KEY',
] as const;
