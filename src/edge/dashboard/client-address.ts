// Who the caller is, for the dashboard's sign-in limits. On Cloudflare, cf-connecting-ip is set by
// Cloudflare's edge and a client cannot forge it. A local runtime (workerd under Miniflare or
// `wrangler dev`) passes a client's own cf-connecting-ip through untouched, so there every caller is
// one client: a forged header can't buy anyone a fresh failure budget. Local is what no request can
// fake: the local entry (local-entry.ts, never deployed), or BUN_APM_DEV=true, which `edge init`
// writes to .dev.vars for `edge dev` (which runs the deployed entry; a review found forged
// addresses each given a fresh budget there).
import { clientKey } from '../../core/auth/client-key.ts';
import { varText } from '../../core/config/var-text.ts';

export type Runtime = 'cloudflare' | 'local';

export const LOCAL_CLIENT = 'local';

export function clientOf(request: Request, runtime: Runtime, env: { BUN_APM_DEV?: unknown }): string {
  const local = runtime === 'local' || varText(env.BUN_APM_DEV) === 'true';
  return local ? LOCAL_CLIENT : clientKey(request.headers.get('cf-connecting-ip'));
}
