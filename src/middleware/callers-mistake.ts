// A mistake in the caller's options or arguments is thrown from the caller's own line. Bun prints
// the source line of an error's top frame; inside the installed package that is a minified line
// thousands of characters long, which buried the message (a review). Started at the call into
// bun-apm, the trace shows the line to fix. Other errors keep their whole stack, for a bug report.
import { ConfigError } from '../core/config/config-error.ts';

/** `error`, its stack begun at the call of `entry` when it is the caller's mistake (a ConfigError or RangeError). */
export function callersMistake(error: unknown, entry: Function): unknown {
  if (error instanceof ConfigError || error instanceof RangeError) Error.captureStackTrace(error, entry);
  return error;
}
