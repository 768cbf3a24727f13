// Who waits before their credentials are checked. Failures count per client (its address) and per
// credential (the API key, the username/password pair); a browser that signed in with the
// credential before (a trusted device) counts only its own failures. A valid session never gets here.
import { FailureLimiter, type FailureLimiterOptions } from './failure-limiter.ts';

/** One presentation of a credential. */
export interface SignInAttempt {
  /** The caller's address (or whatever identity the host can vouch for). */
  client: string;
  /** Which credential is tried: `apikey` or `basic`. Few and fixed, so an attacker can't fill the table. */
  credential: string;
  /** Id of a trusted-device cookie valid for this credential, when the request carries one. */
  device?: string;
}

export interface SignInLimitsOptions {
  client?: FailureLimiterOptions;
  credential?: FailureLimiterOptions;
  device?: FailureLimiterOptions;
}

/**
 * One client: 5 free failures, then 1 s, 2 s, 4 s … up to 15 min, one forgiven per 15 min of quiet.
 * A client alone can make about a dozen failures in the first 17 minutes and 4 an hour after, far
 * under the credential's 20 (one forgiven per quiet minute): only an attack from many addresses
 * slows a credential, and then only for browsers that never signed in with it.
 */
const DEFAULTS: Required<SignInLimitsOptions> = {
  client: { free: 5, baseMs: 1000, capMs: 15 * 60_000, forgiveMs: 15 * 60_000, maxKeys: 10_000 },
  credential: { free: 20, baseMs: 1000, capMs: 15 * 60_000, forgiveMs: 60_000, maxKeys: 100 },
  device: { free: 5, baseMs: 1000, capMs: 15 * 60_000, forgiveMs: 15 * 60_000, maxKeys: 10_000 },
};

export class SignInLimits {
  private readonly clients: FailureLimiter;
  private readonly credentials: FailureLimiter;
  private readonly devices: FailureLimiter;

  constructor(options: SignInLimitsOptions = {}) {
    this.clients = new FailureLimiter({ ...DEFAULTS.client, ...options.client });
    this.credentials = new FailureLimiter({ ...DEFAULTS.credential, ...options.credential });
    this.devices = new FailureLimiter({ ...DEFAULTS.device, ...options.device });
  }

  /** Ms before this attempt may be checked; 0 to check it now. */
  retryAfterMs(attempt: SignInAttempt, now: number): number {
    if (attempt.device !== undefined) return this.devices.retryAfterMs(attempt.device, now);
    return Math.max(this.clients.retryAfterMs(attempt.client, now), this.credentials.retryAfterMs(attempt.credential, now));
  }

  failed(attempt: SignInAttempt, now: number): void {
    if (attempt.device !== undefined) {
      this.devices.fail(attempt.device, now);
      return;
    }
    this.clients.fail(attempt.client, now);
    this.credentials.fail(attempt.credential, now);
  }

  /**
   * The client (or device) is cleared; the credential's count is not: one person signing in
   * does not end an attack on the credential from elsewhere.
   */
  succeeded(attempt: SignInAttempt): void {
    if (attempt.device !== undefined) this.devices.succeed(attempt.device);
    else this.clients.succeed(attempt.client);
  }
}
