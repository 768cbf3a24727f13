// The edge dashboard's SignInStore: every call goes to the one DashboardSessions object.
import type { SignInStore } from '../../core/auth/sign-in-store.ts';
import type { Env } from '../env.ts';
import { SESSIONS_OBJECT, type DashboardSessions } from './dashboard-sessions.ts';

export function edgeSignInStore(env: Pick<Env, 'DASHBOARD_SESSIONS'>): SignInStore {
  // wrangler.toml binds DASHBOARD_SESSIONS to this class; env.ts (a leaf) can't name it.
  const object = () => env.DASHBOARD_SESSIONS.get(env.DASHBOARD_SESSIONS.idFromName(SESSIONS_OBJECT)) as DurableObjectStub<DashboardSessions>;
  return {
    retryAfterMs: async (attempt, now) => object().retryAfterMs(attempt, now),
    failed: async (attempt, now) => object().failed(attempt, now),
    succeeded: async (attempt) => object().succeeded(attempt),
    openSession: async (session, now) => object().openSession(session, now),
    isOpen: async (sessionId, now) => object().isOpen(sessionId, now),
    closeSession: async (sessionId) => object().closeSession(sessionId),
  };
}
