// The summary of an app over a window: the numbers at the top of a dashboard and of the export API.
import type { LiveCell } from '../rollup.ts';
import { addCell, emptyAggregate } from './aggregate.ts';
import { DEFAULT_APDEX_THRESHOLD_MS } from './apdex.ts';
import { totalsOf, type Totals } from './totals.ts';

export interface Summary extends Totals {
  app: string;
  /** ms since the epoch, inclusive. */
  from: number;
  /** ms since the epoch, exclusive. */
  to: number;
  apdexThresholdMs: number;
}

export interface SummaryOptions {
  app: string;
  from: number;
  to: number;
  apdexThresholdMs?: number;
}

/**
 * Sums the cells whose minute lies in [from, to). Cells outside are ignored, so a caller may
 * pass more than the window.
 *
 * @example
 * summarise(cells, { app: 'shop', from, to }).latency.p95
 */
export function summarise(cells: Iterable<LiveCell>, options: SummaryOptions): Summary {
  const total = emptyAggregate();
  for (const cell of cells) {
    if (cell.minute >= options.from && cell.minute < options.to) addCell(total, cell);
  }
  const apdexThresholdMs = options.apdexThresholdMs ?? DEFAULT_APDEX_THRESHOLD_MS;
  return {
    app: options.app,
    from: options.from,
    to: options.to,
    ...totalsOf(total, (options.to - options.from) / 1000, apdexThresholdMs),
    apdexThresholdMs,
  };
}
