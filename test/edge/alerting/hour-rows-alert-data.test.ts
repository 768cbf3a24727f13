// Alert data with whole hours read from rollup_hour: a day's window over a store written by the
// real ingest and maintenance gives the values computed here from the requests themselves (and
// those of the minute rows alone), also after a late batch, for damaged rows, past minute
// retention and over shards; and a tick reads hour rows, not every minute of the day.
import { describe, expect, test } from 'bun:test';
import { AlertDataIndex } from '../../../src/core/alerts/alert-data-index.ts';
import { windowStart, type AlertData } from '../../../src/core/alerts/alert-data.ts';
import { SketchCache } from '../../../src/core/alerts/sketch-cache.ts';
import { QuantileSketch } from '../../../src/core/sketch.ts';
import { AlertDataLoader, mergeAlertData, plainAlertData } from '../../../src/edge/alerting/load-alert-data.ts';
import { runMaintenance, type RetentionPolicy } from '../../../src/edge/store/maintenance.ts';
import { batchOf, HOUR, MIN, requests, store, T0, type Request } from '../store/fixture.ts';

const DAY = 24 * HOUR;
const policy = (minuteRetentionMs = 2 * DAY): RetentionPolicy => ({
  tenSecondRetentionMs: 3 * HOUR, minuteRetentionMs, hourRetentionMs: 30 * DAY, detailRetentionMs: DAY,
  maxSamples: 10_000, maxSpans: 10_000, maxProfiles: 10_000, maxBatchAgeMs: 7 * DAY,
});
const ROUTES = ['/users/:id', '/orders', '/health'];
const minuteOf = (t: number) => t - (t % MIN);

/** Windows the rules read at `now`: a day (whole hours inside), 90 minutes (starts inside a rolled-up hour), 30 minutes. */
const WINDOWS = [DAY, 90 * MIN, 30 * MIN];
const FILTERS: Array<{ route?: string; method?: string }> = [{}, { route: '/orders' }, { route: '/users/:id', method: 'GET' }];

type Reading = { count: number; errors: number; durationSum: number; p50: number; p99: number };

/** What a window holds, from the requests themselves: counts, and quantiles of one sketch of every duration. */
function expected(all: readonly Request[], start: number, now: number, filter: { route?: string; method?: string }): Reading {
  const sketch = new QuantileSketch();
  const out = { count: 0, errors: 0, durationSum: 0 };
  for (const r of all) {
    if (minuteOf(r.time) < start || r.time >= now) continue;
    if (filter.route !== undefined && r.route !== filter.route) continue;
    if (filter.method !== undefined && r.method !== filter.method) continue;
    out.count++;
    if (r.status >= 500) out.errors++;
    out.durationSum += r.ms;
    sketch.add(r.ms);
  }
  return { ...out, p50: sketch.quantile(0.5), p99: sketch.quantile(0.99) };
}

function read(data: AlertData | AlertDataIndex, start: number, now: number, filter: { route?: string; method?: string }): Reading {
  const index = data instanceof AlertDataIndex ? data : new AlertDataIndex(data);
  const agg = index.requests(start, now, filter.route, filter.method);
  return { count: agg.count, errors: agg.errors, durationSum: agg.durationSum, p50: agg.sketch().quantile(0.5), p99: agg.sketch().quantile(0.99) };
}

const request = (since: number, now: number) => ({ since, profilesSince: now, samplesSince: null, now, anyRule: true });

/**
 * 27 hours of traffic in 10-minute batches, each taken as it ends, with maintenance at 10 past
 * every third hour and at the end: most hours are rolled up by maintenance; a late batch (written
 * 3 hours late) lands in hours already rolled up, into their minute and hour rows by ingest.
 */
function dayOfTraffic(seed = 1) {
  const s = store({ log: false });
  const all: Request[] = [];
  const end = T0 + 27 * HOUR;
  for (let start = T0; start < end; start += 10 * MIN) {
    const part = requests(seed * 100_000 + start / MIN, 12, start, 10 * MIN, ROUTES);
    s.ingest(batchOf(part), start + 10 * MIN);
    all.push(...part);
    const hour = start + 10 * MIN;
    if (hour % (3 * HOUR) === 10 * MIN) runMaintenance(s, hour, policy());
    if (start % (4 * HOUR) === 0 && start >= T0 + 4 * HOUR) {
      const late = requests(seed * 100_000 + start / MIN + 7, 8, start - 3 * HOUR, 10 * MIN, ROUTES);
      s.ingest(batchOf(late), start + 10 * MIN);
      all.push(...late);
    }
  }
  runMaintenance(s, end, policy());
  return { s, all, now: end };
}

describe('alert data: whole hours from rollup_hour', () => {
  test('a day\'s window reads hour rows and gives exactly what the requests give, as the minute rows do', () => {
    const { s, all, now } = dayOfTraffic();
    const loader = new AlertDataLoader();
    const since = windowStart(now, DAY);
    const data = loader.load(s.sql, request(since, now));
    // Hours rolled up (by maintenance, some with late cells by ingest) come as hour cells, not minutes.
    expect(data.hours?.hours.length).toBeGreaterThanOrEqual(20);
    const minuteRows = s.sql.exec('SELECT COUNT(*) AS n FROM rollup_minute WHERE time >= ? AND method != \'*\'', since).one().n as number;
    expect(data.cells.length).toBeLessThan(minuteRows / 5);
    const minutesOnly = new AlertDataIndex(plainAlertData(s.sql, request(since, now)));
    const index = new AlertDataIndex(data, new SketchCache());
    // Shorter windows first too: an hour whose minutes a window brought in is still read whole by a longer one.
    const reversed = new AlertDataIndex(data, new SketchCache());
    for (const duration of [...WINDOWS].reverse()) for (const filter of FILTERS) read(reversed, windowStart(now, duration), now, filter);
    for (const duration of WINDOWS) {
      const start = windowStart(now, duration);
      for (const filter of FILTERS) {
        const want = expected(all, start, now, filter);
        expect(want.count).toBeGreaterThan(0);
        // Durations are quarter milliseconds: every sum is exact, in any order.
        expect(read(index, start, now, filter)).toEqual(want);
        expect(read(reversed, start, now, filter)).toEqual(want);
        expect(read(minutesOnly, start, now, filter)).toEqual(want);
      }
    }
  });

  test('a late batch into a past hour changes the next tick\'s answer; the hour is read again', () => {
    const { s, all, now } = dayOfTraffic(2);
    const loader = new AlertDataLoader();
    const cache = new SketchCache();
    const since = windowStart(now, DAY);
    const before = read(new AlertDataIndex(loader.load(s.sql, request(since, now)), cache), since, now, {});
    expect(before).toEqual(expected(all, since, now, {}));
    // Slow errors into an hour rolled up long ago, as a retried batch would bring them.
    const late = requests(99, 30, T0 + 10 * HOUR, 10 * MIN, ROUTES).map((r) => ({ ...r, ms: 9000 + r.ms, status: 503 }));
    const taken = s.ingest(batchOf(late), now);
    loader.cellsChanged(taken.minutes!);
    all.push(...late);
    const after = read(new AlertDataIndex(loader.load(s.sql, request(since, now + MIN)), cache), since, now + MIN, {});
    expect(after).toEqual(expected(all, since, now + MIN, {}));
    expect(after.errors).toBe(before.errors + 30);
    expect(after.p99).toBeGreaterThan(before.p99);
  });

  test('maintenance\'s forget(): the hours are read again and still agree', () => {
    const { s, all, now } = dayOfTraffic(3);
    const loader = new AlertDataLoader();
    const since = windowStart(now, DAY);
    loader.load(s.sql, request(since, now));
    runMaintenance(s, now, policy());
    loader.forget();
    expect(read(loader.load(s.sql, request(since, now)), since, now, {})).toEqual(expected(all, since, now, {}));
  });

  test('damaged rows: an hour whose rows differ from its minutes, or are damaged, is read from its minutes', () => {
    const { s, now } = dayOfTraffic(4);
    const since = windowStart(now, DAY);
    const hourA = T0 + 8 * HOUR;
    const hourB = T0 + 14 * HOUR;
    // An hour row with counts out of bounds; another whose sketch does not decode.
    s.sql.exec('UPDATE rollup_hour SET errors = count + 1 WHERE time = ? AND route = ? AND method != \'*\'', hourA, '/orders');
    s.sql.exec('UPDATE rollup_hour SET sketch = ? WHERE time = ? AND route = ? AND method != \'*\'', new Uint8Array([1, 2, 3]).buffer, hourB, '/health');
    // A minute row maintenance could not read (its hour left it out) but whose counts rules still count.
    const hourC = T0 + 17 * HOUR;
    s.sql.exec('UPDATE rollup_minute SET sketch = ? WHERE id = (SELECT MIN(id) FROM rollup_minute WHERE time >= ? AND time < ? AND method != \'*\')',
      new Uint8Array([9]).buffer, hourC, hourC + HOUR);
    // Rolled up afresh: drop the hour rows of hour C and move the watermark back to it.
    s.sql.exec('DELETE FROM rollup_hour WHERE time >= ?', hourC);
    s.sql.exec('UPDATE meta SET value = ? WHERE key = \'hour_watermark\'', hourC);
    runMaintenance(s, now, policy());
    const data = new AlertDataLoader().load(s.sql, request(since, now));
    const covered = new Set(data.hours?.hours);
    expect([covered.has(hourA), covered.has(hourB), covered.has(hourC), covered.has(hourC + HOUR)]).toEqual([false, false, false, true]);
    // The same store read minute by minute (no hour rolled up as far as the loader knows): a damaged minute's sketch reads as empty.
    s.sql.exec('DELETE FROM meta WHERE key = \'hour_watermark\'');
    const minutesOnly = new AlertDataLoader().load(s.sql, request(since, now));
    expect(minutesOnly.hours).toBeUndefined();
    for (const filter of FILTERS) expect(read(data, since, now, filter)).toEqual(read(minutesOnly, since, now, filter));
  });

  test('hours past minute retention are read from their hour rows', () => {
    const { s, all } = dayOfTraffic(5);
    const now = T0 + 26 * HOUR;
    runMaintenance(s, now, policy(3 * HOUR));
    const since = windowStart(now, DAY);
    const oldest = s.sql.exec('SELECT MIN(time) AS t FROM rollup_minute').one().t as number;
    expect(oldest).toBeGreaterThan(since + 12 * HOUR);
    const loader = new AlertDataLoader();
    expect(read(loader.load(s.sql, request(since, now)), since, now, {})).toEqual(expected(all, since, now, {}));
    // A late batch for one of those hours lands in its hour row only; the next tick reads the hour again.
    s.target.minuteRetentionMs = 3 * HOUR;
    const late = requests(98, 20, T0 + 6 * HOUR, 10 * MIN, ROUTES);
    loader.cellsChanged(s.ingest(batchOf(late), now).minutes!);
    all.push(...late);
    expect(s.sql.exec('SELECT COUNT(*) AS n FROM rollup_minute WHERE time < ?', T0 + 7 * HOUR).one().n).toBe(0);
    expect(read(loader.load(s.sql, request(since, now + MIN)), since, now + MIN, {})).toEqual(expected(all, since, now + MIN, {}));
  });

  test('shards: one store\'s hours merged with another\'s minutes, or with its hours, give the whole app\'s values', () => {
    const a = dayOfTraffic(6);
    const b = dayOfTraffic(7);
    const now = a.now;
    const all = [...a.all, ...b.all];
    const since = windowStart(now, DAY);
    const local = new AlertDataLoader().load(a.s.sql, request(since, now));
    const remoteMinutes = plainAlertData(b.s.sql, request(since, now));
    const remoteHours = new AlertDataLoader().load(b.s.sql, request(since, now));
    for (const merged of [mergeAlertData([local, remoteMinutes]), mergeAlertData([local, remoteHours])]) {
      const index = new AlertDataIndex(merged, new SketchCache());
      for (const duration of WINDOWS) {
        const start = windowStart(now, duration);
        for (const filter of FILTERS) expect(read(index, start, now, filter)).toEqual(expected(all, start, now, filter));
      }
    }
  });
});
