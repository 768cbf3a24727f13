// Maintenance (the alarm's pass): completed hours rolled up from their minutes with exact sums, late
// cells of a rolled-up hour landing in it, and retention deleting what is past it, counted.
import { describe, expect, test } from 'bun:test';
import { runMaintenance, type RetentionPolicy } from '../../../src/edge/store/maintenance.ts';
import { listSamples } from '../../../src/edge/store/samples.ts';
import { batchOf, HOUR, MIN, requests, sampleOf, statusClass, store, storedRows, sumsBy, T0, withSketchCounts, type Request } from './fixture.ts';

const DAY = 86_400_000;
const LONG: RetentionPolicy = {
  tenSecondRetentionMs: 3 * HOUR, minuteRetentionMs: 2 * DAY, hourRetentionMs: 30 * DAY, detailRetentionMs: DAY,
  maxSamples: 10_000, maxSpans: 10_000, maxProfiles: 10_000, maxBatchAgeMs: DAY,
};
/** Three whole hours and part of a fourth; the pass runs 10 minutes into the fourth. */
const NOW = T0 + 3 * HOUR + 10 * MIN;
const hourOf = (t: number) => t - (t % HOUR);
const minuteOf = (t: number) => t - (t % MIN);
const key = (window: (t: number) => number, allRoutes: boolean) => (r: Request) =>
  `${window(r.time)} ${allRoutes ? '*' : r.method} ${allRoutes ? '*' : r.route} ${statusClass(r.status)}`;
/** Expected rows of a table: per route and all-routes sums for each window. */
const rowsOf = (all: Request[], window: (t: number) => number) =>
  withSketchCounts(new Map([...sumsBy(all, key(window, false)), ...sumsBy(all, key(window, true))]));

/** Traffic in batches of 10 minutes from T0 to NOW, each taken as it ends. */
function withTraffic(s: ReturnType<typeof store>): Request[] {
  const all: Request[] = [];
  for (let start = T0; start < NOW; start += 10 * MIN) {
    const part = requests(start / MIN, 40, start, 10 * MIN);
    s.ingest(batchOf(part), start + 10 * MIN);
    all.push(...part);
  }
  return all;
}

describe('maintenance', () => {
  test('completed hours are rolled up from their minutes, exactly; the current hour waits', () => {
    const s = store({ log: false });
    const all = withTraffic(s);
    const minutesBefore = storedRows(s.sql, 'rollup_minute');
    const report = runMaintenance(s, NOW, LONG);
    expect(report.hoursRolledUp).toBe(3);
    expect(report.watermark).toBe(T0 + 3 * HOUR);
    expect(storedRows(s.sql, 'rollup_hour')).toEqual(rowsOf(all.filter((r) => r.time < T0 + 3 * HOUR), hourOf));
    // Minutes are kept (within retention); 10-second rows older than 3 hours go.
    expect(report.deleted.minutes).toBe(0);
    expect(storedRows(s.sql, 'rollup_minute')).toEqual(minutesBefore);
    const tenSecondKeys = new Set(all.filter((r) => r.time - (r.time % 10_000) < NOW - 3 * HOUR).map(key((t) => t - (t % 10_000), true)));
    expect(report.deleted.tenSeconds).toBe(tenSecondKeys.size);
    expect(report.unreadable).toBe(0);
    // A second pass finds nothing new to roll up.
    expect(runMaintenance(s, NOW, LONG).hoursRolledUp).toBe(0);
    expect(storedRows(s.sql, 'rollup_hour')).toEqual(rowsOf(all.filter((r) => r.time < T0 + 3 * HOUR), hourOf));
  });

  test('a late cell of a rolled-up hour goes into that hour too', () => {
    const s = store({ log: false });
    const all = withTraffic(s);
    runMaintenance(s, NOW, LONG);
    // Late requests of a rolled-up hour, and more of the hour still open (not rolled up yet).
    const late = [...requests(99, 25, T0 + HOUR + 5 * MIN, MIN), ...requests(98, 15, T0 + 3 * HOUR + 11 * MIN, MIN)];
    s.ingest(batchOf(late), NOW + 2 * MIN);
    const both = [...all, ...late];
    expect(storedRows(s.sql, 'rollup_hour')).toEqual(rowsOf(both.filter((r) => r.time < T0 + 3 * HOUR), hourOf));
    expect(storedRows(s.sql, 'rollup_minute')).toEqual(rowsOf(both, minuteOf));
    // The open hour is rolled up once it is over, each request counted once.
    expect(runMaintenance(s, T0 + 4 * HOUR + 10 * MIN, LONG).hoursRolledUp).toBe(1);
    expect(storedRows(s.sql, 'rollup_hour')).toEqual(rowsOf(both, hourOf));
  });

  test('retention deletes minutes (only once their hour is rolled up) and hours past it, with exact counts', () => {
    const s = store({ log: false });
    const all = withTraffic(s);
    runMaintenance(s, NOW, LONG);
    const minuteCutoff = NOW - HOUR; // before the watermark, so it decides
    const hourCutoff = NOW - 2 * HOUR;
    const minutes = rowsOf(all, minuteOf);
    const hours = rowsOf(all.filter((r) => r.time < T0 + 3 * HOUR), hourOf);
    const older = (rows: Map<string, unknown>, cutoff: number) => [...rows.keys()].filter((k) => Number(k.split(' ')[0]) < cutoff);
    // An hour goes once all of it is past the cutoff: T0 + 1 h straddles it (a window inside retention still counts part of it).
    const wholly = (rows: Map<string, unknown>, cutoff: number) => [...rows.keys()].filter((k) => Number(k.split(' ')[0]) + HOUR <= cutoff);
    expect(new Set(wholly(hours, hourCutoff).map((k) => Number(k.split(' ')[0])))).toEqual(new Set([T0]));
    const report = runMaintenance(s, NOW, { ...LONG, minuteRetentionMs: HOUR, hourRetentionMs: 2 * HOUR });
    expect(report.hoursRolledUp).toBe(0);
    expect(report.deleted.minutes).toBe(older(minutes, minuteCutoff).length);
    expect(report.deleted.hours).toBe(wholly(hours, hourCutoff).length);
    for (const k of older(minutes, minuteCutoff)) minutes.delete(k);
    for (const k of wholly(hours, hourCutoff)) hours.delete(k);
    expect(storedRows(s.sql, 'rollup_minute')).toEqual(minutes);
    expect(storedRows(s.sql, 'rollup_hour')).toEqual(hours);

    // Minutes of an hour not rolled up yet stay whatever their age: a fresh store, never maintained.
    const fresh = store({ log: false });
    fresh.ingest(batchOf(requests(5, 10, T0, MIN)), T0 + MIN);
    const kept = runMaintenance(fresh, T0 + 30 * MIN, { ...LONG, minuteRetentionMs: MIN });
    expect(kept.deleted.minutes).toBe(0);
  });

  test('detail past retention goes, then the oldest past the cap; what stays is the newest', () => {
    const s = store({ log: false });
    const sent = requests(77, 120, T0, 2 * HOUR).map((r) => sampleOf(r));
    // In batches of 30, as clients send them (several chunks per minute).
    for (let i = 0; i < sent.length; i += 30) s.ingest(batchOf([], { samples: sent.slice(i, i + 30), start: T0 }), T0 + 2 * HOUR);
    const now = T0 + 2 * HOUR + MIN;
    const cap = 40;
    const young = sent.filter((x) => x.timestamp >= now - HOUR).sort((a, b) => b.timestamp - a.timestamp);
    const report = runMaintenance(s, now, { ...LONG, detailRetentionMs: HOUR, maxSamples: cap });
    expect(report.deleted.samples).toBe(sent.length - Math.min(cap, young.length));
    const left = listSamples(s.sql, { from: 0, to: now, limit: 1000 });
    expect(left.items.map((x) => x.timestamp)).toEqual(young.slice(0, cap).map((x) => x.timestamp));
  });
});
