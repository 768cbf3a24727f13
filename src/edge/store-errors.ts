// What a failed call to an AppStore means for the caller. Cloudflare marks an overloaded object's
// errors `overloaded` and transient ones `retryable`: both are worth a retry after a pause.
import { HttpError } from './http/errors.ts';
import { ConfigError } from './config-error.ts';
import { isNewerStoreError } from './store/migrations.ts';

interface RuntimeErrorFlags {
  overloaded?: boolean;
  retryable?: boolean;
}

/** Seconds a client waits after the object said it is overloaded. */
const OVERLOAD_RETRY_AFTER_SECONDS = 10;

export function storeFailure(error: unknown, app: string): HttpError {
  const named = namedStoreFailure(error, `app ${app}`);
  if (named !== undefined) return named;
  const detail = detailOf(error);
  console.error(`bun-apm edge: store of app ${app} failed (${detail})`);
  return new HttpError(500, 'store_error', 'the store of this app failed; nothing was changed');
}

/** A store's failure that says what to do about it (wait, or redeploy), logged; undefined for any other error. `whose`: "app shop". */
export function namedStoreFailure(error: unknown, whose: string): HttpError | undefined {
  const flags = (typeof error === 'object' && error !== null ? error : {}) as RuntimeErrorFlags;
  const detail = detailOf(error);
  if (flags.overloaded) {
    console.warn(`bun-apm edge: store of ${whose} is overloaded (${detail})`);
    return new HttpError(503, 'overloaded', 'the store of this app is overloaded; retry later', { 'retry-after': String(OVERLOAD_RETRY_AFTER_SECONDS) });
  }
  if (flags.retryable) {
    console.warn(`bun-apm edge: store of ${whose} failed transiently (${detail})`);
    return new HttpError(503, 'unavailable', 'the store of this app is briefly unavailable; retry later', { 'retry-after': '1' });
  }
  // A rollback over a store a newer bun-apm wrote (migrations.ts): the same answer until that version is back.
  if (isNewerStoreError(error)) {
    console.error(`bun-apm edge: store of ${whose} refused: ${(error as Error).message}`);
    return new HttpError(503, 'store_too_new', (error as Error).message, { 'retry-after': '60' });
  }
  return undefined;
}

/** An error as a log line names it: its class and message. */
function detailOf(error: unknown): string {
  return `${(error as Error)?.name ?? 'Error'}: ${(error as Error)?.message ?? String(error)}`;
}

/** Runs a call to an AppStore, turning its failures (not the caller's own HttpErrors) into the right HTTP error. */
export async function callStore<T>(app: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof HttpError || error instanceof ConfigError) throw error;
    throw storeFailure(error, app);
  }
}
