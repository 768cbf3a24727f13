// The summary of an app over a window: the numbers at the top of a dashboard and of the export API.
import type { LiveCell } from '../rollup.ts';
import { addCell, emptyAggregate } from './aggregate.ts';
import { DEFAULT_APDEX_THRESHOLD_MS } from './apdex.ts';
import { totalsOf, type Totals } from './totals.ts';
import type { Resolution } from './window.ts';

export interface Summary extends Totals {
  app: string;
  /** ms since the epoch, inclusive: the window used (aligned to its resolution), not the one asked. */
  from: number;
  /** ms since the epoch, exclusive. */
  to: number;
  /** End of the time the data covers (≤ to): rates divide by `until − from`. */
  until: number;
  /** The rollups the window was read from, when the caller says. */
  resolution?: Resolution;
  apdexThresholdMs: number;
}

export interface SummaryOptions {
  app: string;
  from: number;
  to: number;
  /** End of the time the data covers; default `to`. */
  until?: number;
  resolution?: Resolution;
  apdexThresholdMs?: number;
}

/**
 * Sums the cells whose window starts in [from, to). Cells outside are ignored, so a caller may
 * pass more than the window. Rates divide by the time covered, `until − from`.
 *
 * @example
 * summarise(cells, { app: 'shop', from, to, until: Date.now() }).latency.p95
 */
export function summarise(cells: Iterable<LiveCell>, options: SummaryOptions): Summary {
  const total = emptyAggregate();
  for (const cell of cells) {
    if (cell.minute >= options.from && cell.minute < options.to) addCell(total, cell);
  }
  const apdexThresholdMs = options.apdexThresholdMs ?? DEFAULT_APDEX_THRESHOLD_MS;
  const until = Math.max(options.from, Math.min(options.until ?? options.to, options.to));
  return {
    app: options.app,
    from: options.from,
    to: options.to,
    until,
    ...(options.resolution !== undefined && { resolution: options.resolution }),
    ...totalsOf(total, (until - options.from) / 1000, apdexThresholdMs),
    apdexThresholdMs,
  };
}
