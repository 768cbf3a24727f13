// `bun-apm keys`: makes the edge's keys and prints the commands that store them as Worker secrets.
import { randomToken } from '../../core/auth/secrets.ts';

export interface GeneratedKeys {
  ingest: Record<string, string>;
  read: string;
  admin: string;
  dashboard: string;
  sessionSecret: string;
}

const APP_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function generateKeys(apps: string[]): GeneratedKeys {
  for (const app of apps) {
    if (!APP_ID.test(app)) throw new Error(`app "${app}": expected 1..64 of A-Z a-z 0-9 . _ - (starting with a letter or digit)`);
  }
  return {
    ingest: Object.fromEntries(apps.map((app) => [app, `ing_${randomToken(24)}`])),
    read: `read_${randomToken(24)}`,
    admin: `adm_${randomToken(24)}`,
    dashboard: `dash_${randomToken(24)}`,
    sessionSecret: randomToken(32),
  };
}

/** The Worker secrets as name → value. API_KEYS grants the read key every app (`*`). */
export function secretsOf(keys: GeneratedKeys): Record<string, string> {
  return {
    INGEST_KEYS: Object.entries(keys.ingest).map(([app, key]) => `${app}:${key}`).join(','),
    API_KEYS: `*:${keys.read}`,
    ADMIN_API_KEY: keys.admin,
    DASHBOARD_API_KEY: keys.dashboard,
    SESSION_SECRET: keys.sessionSecret,
  };
}

/** Single-quoted for a POSIX shell: keys are base64url, but quote anyway. */
function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

export function keysReport(keys: GeneratedKeys): string {
  const lines = ['# Worker secrets (run in the bun-apm checkout; each line stores one secret):'];
  for (const [name, value] of Object.entries(secretsOf(keys))) {
    lines.push(`printf '%s' ${shellQuote(value)} | npx wrangler secret put ${name}`);
  }
  lines.push('', '# In each app’s environment:');
  for (const [app, key] of Object.entries(keys.ingest)) {
    lines.push(`#   ${app}: BUN_APM_APP=${app} BUN_APM_INGEST_KEY=${key}`);
  }
  lines.push('', `# Read the JSON API with:   curl -H 'X-API-Key: ${keys.read}' https://<your-worker>/api/v1/apps`);
  lines.push(`# Sign in to the dashboard with the API key ${keys.dashboard}`);
  return lines.join('\n');
}
