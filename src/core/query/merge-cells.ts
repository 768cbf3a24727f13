// The mergeable partial of every rollup query: cells. Stores that each hold part of an app (its
// shards) answer with their cells of a window; merged cell by cell (counts add, sketches merge),
// they are exactly the cells one store holding everything would have read, and the one query
// function (summarise, routeTable, timeseries) finishes them. Cells travel between stores as
// plain data, the sketch serialised.
import { cellKey, mergeInto, type LiveCell } from '../rollup.ts';
import { QuantileSketch } from '../sketch.ts';

/** A cell as plain data (what an RPC carries): the sketch as its bytes. */
export type PlainCell = Omit<LiveCell, 'sketch'> & { sketch: Uint8Array };

export function toPlainCell(cell: LiveCell): PlainCell {
  return { ...cell, sketch: cell.sketch.toBytes() };
}

/** A plain cell back as a LiveCell; throws when the sketch does not decode (the caller counts it). */
export function fromPlainCell(cell: PlainCell): LiveCell {
  return { ...cell, sketch: QuantileSketch.fromBytes(cell.sketch) };
}

/**
 * One cell per (time, method, route, status class) out of several lists. The cells are not changed:
 * a key met more than once gets a merged copy.
 */
export function mergeCellLists(lists: Iterable<Iterable<LiveCell>>): LiveCell[] {
  const merged = new Map<string, { cell: LiveCell; owned: boolean }>();
  for (const list of lists) {
    for (const cell of list) {
      const key = cellKey(cell.minute, cell.method, cell.route, cell.statusClass);
      const found = merged.get(key);
      if (found === undefined) {
        merged.set(key, { cell, owned: false });
        continue;
      }
      if (!found.owned) {
        found.cell = { ...found.cell, sketch: found.cell.sketch.clone() };
        found.owned = true;
      }
      mergeInto(found.cell, cell);
    }
  }
  return [...merged.values()].map(({ cell }) => cell);
}
