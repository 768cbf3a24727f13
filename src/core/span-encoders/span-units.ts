// Unit conversions shared by the wire encoders: our spans hold fractional ms since the epoch,
// Jaeger and Zipkin want integer microseconds, OTLP wants nanoseconds as decimal strings.
import type { TagValue } from '../wire-format.ts';

/** Integer microseconds; ms·1000 of a current epoch is < 2^53, so a Number holds it exactly. */
export function msToMicros(ms: number): number {
  return Math.round(ms * 1000);
}

/**
 * Integer nanoseconds as a bigint. ms·10^6 of a current epoch exceeds 2^53, so the whole ms and
 * the fraction are converted apart; the fraction is kept to the µs, as a float epoch in ms holds
 * nothing finer (its last bit is worth about 0.24 µs).
 */
export function msToNanos(ms: number): bigint {
  const whole = Math.floor(ms);
  return BigInt(whole) * 1_000_000n + BigInt(Math.round((ms - whole) * 1e3)) * 1000n;
}

/** Whole numbers go as 64-bit integers, everything else as doubles. */
export function isInteger(value: TagValue): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value);
}
