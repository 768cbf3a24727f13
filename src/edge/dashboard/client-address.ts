// Who the caller is, for the dashboard's sign-in limits. On Cloudflare, cf-connecting-ip is set by
// Cloudflare's edge and a client cannot forge it. The local runtime (workerd under Miniflare) passes
// a client's own cf-connecting-ip through untouched, so there every caller is one client: a forged
// header can't buy anyone a fresh failure budget. The deployed entry is worker.ts; the local one
// (local-entry.ts, never deployed) says so, which is the signal no request can fake.
import { clientKey } from '../../core/auth/client-key.ts';

export type Runtime = 'cloudflare' | 'local';

export const LOCAL_CLIENT = 'local';

export function clientOf(request: Request, runtime: Runtime): string {
  return runtime === 'cloudflare' ? clientKey(request.headers.get('cf-connecting-ip')) : LOCAL_CLIENT;
}
