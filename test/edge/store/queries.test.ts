// Reads over the tables: a whole window tiled with 10-second rows at its ragged ends, minutes and
// rolled-up hours in between sums to exactly the requests sent in it; a chart by minute reads each minute's sums.
import { describe, expect, test } from 'bun:test';
import type { LiveCell } from '../../../src/core/rollup.ts';
import { runMaintenance } from '../../../src/edge/store/maintenance.ts';
import { readWindowCells } from '../../../src/edge/store/queries.ts';
import { batchOf, HOUR, MIN, requests, statusClass, store, sumsBy, T0, type Request, type Totals } from './fixture.ts';

const DAY = 86_400_000;
const NOW = T0 + 3 * HOUR + 10 * MIN;

/** Cells summed per key, as the core's query functions would see them. */
function totals(cells: LiveCell[], keyOf: (c: LiveCell) => string): Map<string, Totals & { sketchCount: number }> {
  const out = new Map<string, Totals & { sketchCount: number }>();
  for (const c of cells) {
    const t = out.get(keyOf(c)) ?? { count: 0, errors: 0, durationSum: 0, durationMin: Infinity, durationMax: -Infinity, bytes: 0, sketchCount: 0 };
    t.count += c.count;
    t.errors += c.errors;
    t.durationSum += c.durationSum;
    t.durationMin = Math.min(t.durationMin, c.durationMin);
    t.durationMax = Math.max(t.durationMax, c.durationMax);
    t.bytes += c.bytes;
    t.sketchCount += c.sketch.count;
    out.set(keyOf(c), t);
  }
  return out;
}

function maintained() {
  const s = store({ log: false });
  const all: Request[] = [];
  for (let start = T0; start < NOW; start += 10 * MIN) {
    const part = requests(start / MIN + 7, 40, start, 10 * MIN);
    s.ingest(batchOf(part), start + 10 * MIN);
    all.push(...part);
  }
  runMaintenance(s, NOW, {
    tenSecondRetentionMs: 3 * HOUR, minuteRetentionMs: 2 * DAY, hourRetentionMs: 30 * DAY, detailRetentionMs: DAY,
    maxSamples: 1_000, maxSpans: 1_000, maxProfiles: 1_000, maxBatchAgeMs: DAY,
  });
  return { s, all };
}

describe('window reads', () => {
  test('a whole window with ragged ends sums to the requests sent in it', () => {
    const { s, all } = maintained();
    // 10-second rows at both ends, minutes up to the hour, two rolled-up hours, minutes after the watermark.
    const from = T0 + 20 * MIN + 30_000;
    const to = T0 + 3 * HOUR + 5 * MIN + 20_000;
    // The hours' minutes are not read (the hour rows are): with them gone the sums are the same.
    s.sql.exec('DELETE FROM rollup_minute WHERE time >= ? AND time < ?', T0 + HOUR, T0 + 3 * HOUR);
    const cells = readWindowCells(s.sql, { from, to, resolution: 'minute' }, {}, { perRoute: false, wholeWindow: true });
    const inWindow = all.filter((r) => r.time >= from && r.time < to);
    const expected = new Map([...sumsBy(inWindow, (r) => statusClass(r.status))].map(([k, v]) => [k, { ...v, sketchCount: v.count }]));
    expect(totals(cells, (c) => c.statusClass)).toEqual(expected);
  });

  test('a chart by minute reads each minute as sent', () => {
    const { s, all } = maintained();
    const from = T0 + 2 * HOUR + 50 * MIN;
    const to = T0 + 3 * HOUR + 5 * MIN;
    const cells = readWindowCells(s.sql, { from, to, resolution: 'minute' }, {}, { perRoute: false, wholeWindow: false });
    const inWindow = all.filter((r) => r.time >= from && r.time < to);
    const expected = sumsBy(inWindow, (r) => `${r.time - (r.time % MIN)} ${statusClass(r.status)}`);
    expect(totals(cells, (c) => `${c.minute} ${c.statusClass}`)).toEqual(new Map([...expected].map(([k, v]) => [k, { ...v, sketchCount: v.count }])));
    // One route, per-route rows: only that route's requests.
    const route = readWindowCells(s.sql, { from, to, resolution: 'minute' }, { route: '/orders', method: 'POST' }, { perRoute: true, wholeWindow: false });
    const orders = inWindow.filter((r) => r.route === '/orders' && r.method === 'POST');
    expect(route.reduce((n, c) => n + c.count, 0)).toBe(orders.length);
  });
});
