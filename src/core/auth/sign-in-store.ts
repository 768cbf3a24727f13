// Where the dashboard keeps what sign-in must remember between requests: the open sessions and the
// failure limits. The host passes one in: in-process the memory store below, at the edge a Durable
// Object, so a logout and a limit hold across every isolate.
import type { Session } from './session.ts';
import { SignInLimits, type SignInAttempt, type SignInLimitsOptions } from './sign-in-limits.ts';

export interface SignInStore {
  /** Ms before this attempt's credentials may be checked; 0 to check them now. */
  retryAfterMs(attempt: SignInAttempt, now: number): Promise<number>;
  failed(attempt: SignInAttempt, now: number): Promise<void>;
  succeeded(attempt: SignInAttempt, now: number): Promise<void>;
  openSession(session: Session, now: number): Promise<void>;
  /** True while the session is open: neither closed nor expired. */
  isOpen(sessionId: string, now: number): Promise<boolean>;
  closeSession(sessionId: string): Promise<void>;
}

export interface MemorySignInStoreOptions {
  limits?: SignInLimitsOptions;
  /** Open sessions kept at most; past it the oldest is closed (default 10 000). */
  maxSessions?: number;
}

/** The store of one process: sessions end with it (everyone signs in again after a restart). */
export function memorySignInStore(options: MemorySignInStoreOptions = {}): SignInStore {
  const limits = new SignInLimits(options.limits);
  const sessions = new Map<string, number>();
  const maxSessions = options.maxSessions ?? 10_000;
  return {
    retryAfterMs: async (attempt, now) => limits.retryAfterMs(attempt, now),
    failed: async (attempt, now) => limits.failed(attempt, now),
    succeeded: async (attempt) => limits.succeeded(attempt),
    async openSession(session, now) {
      if (sessions.size >= maxSessions) {
        for (const [id, expires] of sessions) if (expires <= now) sessions.delete(id);
      }
      while (sessions.size >= maxSessions) sessions.delete(sessions.keys().next().value!);
      sessions.set(session.id, session.expires);
    },
    async isOpen(sessionId, now) {
      const expires = sessions.get(sessionId);
      if (expires === undefined) return false;
      if (expires > now) return true;
      sessions.delete(sessionId);
      return false;
    },
    async closeSession(sessionId) {
      sessions.delete(sessionId);
    },
  };
}
