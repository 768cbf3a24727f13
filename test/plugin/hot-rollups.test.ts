// HotRollups is the request-path twin of core's RollupTable: fed the same requests, it must give
// the very same wire cells (so the two can never drift apart).
import { describe, expect, test } from 'bun:test';
import { RollupTable } from '../../src/core/rollup.ts';
import { HotRollups } from '../../src/core/hot-rollups.ts';
import { seededRandom } from '../support/random.ts';

const sortCells = <T extends { minute: number; method: string; route: string; statusClass: string }>(cells: T[]) =>
  [...cells].sort((a, b) => `${a.minute}${a.method}${a.route}${a.statusClass}`.localeCompare(`${b.minute}${b.method}${b.route}${b.statusClass}`));

describe('HotRollups', () => {
  test('same requests in, same 10-second cells out as RollupTable', () => {
    const random = seededRandom(7);
    const hot = new HotRollups();
    const table = new RollupTable(10_000);
    const start = Date.UTC(2026, 0, 1, 12);
    const routes = ['/users/:id', '/health', '/orders/:id/items', 'other'];
    const methods = ['GET', 'POST', 'OTHER'];
    for (let i = 0; i < 20_000; i++) {
      const time = start + Math.floor(random() * 180_000);
      const method = methods[Math.floor(random() * methods.length)]!;
      const route = routes[Math.floor(random() * routes.length)]!;
      const status = 100 + Math.floor(random() * 500);
      const duration = random() < 0.01 ? 0 : random() * 200;
      const bytes = Math.floor(random() * 1000);
      const thrown = random() < 0.02;
      hot.record(time, method, route, status, duration, bytes, thrown);
      table.record(time, method, route, status, duration, bytes, thrown);
    }
    expect(hot.size).toBe(table.size);
    const cells = hot.drain();
    expect(cells.every((cell) => cell.seconds === 10 && cell.minute % 10_000 === 0)).toBe(true);
    expect(sortCells(cells)).toEqual(sortCells(table.drain()));
    expect(hot.size).toBe(0);
    expect(hot.drain()).toEqual([]);
  });

  test('runs of one route, windows crossed forwards and back, drains between: every drain equals RollupTable', () => {
    // Real traffic comes in runs of one (route, method, status class), which the last cell serves
    // without look-ups: a run must end where the window, the key or a drain changes it.
    const random = seededRandom(11);
    const hot = new HotRollups();
    const table = new RollupTable(10_000);
    let time = Date.UTC(2026, 0, 1, 12) + 9_990;
    const routes = ['/users/:id', '/health', 'other'];
    const methods = ['GET', 'POST'];
    const statuses = [200, 201, 404, 500, 302];
    let drains = 0;
    for (let i = 0; i < 30_000; ) {
      const method = methods[Math.floor(random() * methods.length)]!;
      const route = routes[Math.floor(random() * routes.length)]!;
      const status = statuses[Math.floor(random() * statuses.length)]!;
      for (let run = 1 + Math.floor(random() * 60); run > 0; run--, i++) {
        // Forwards (≈ 20 ms a request, a window every ~500 requests); now and then a request that started up to 12 s earlier.
        time += random() < 0.002 ? -Math.floor(random() * 12_000) : Math.floor(random() * 40);
        const duration = random() * 50;
        hot.record(time, method, route, status, duration, 100, false);
        table.record(time, method, route, status, duration, 100, false);
        if (random() < 0.0005) {
          drains++;
          expect(sortCells(hot.drain())).toEqual(sortCells(table.drain()));
        }
      }
    }
    expect(drains).toBeGreaterThan(5);
    expect(hot.size).toBe(table.size);
    expect(sortCells(hot.drain())).toEqual(sortCells(table.drain()));
  });

  test('a time that is not a number does not leave its window behind for the requests after it', () => {
    const hot = new HotRollups();
    const start = Date.UTC(2026, 0, 1, 12);
    hot.record(NaN, 'GET', '/a', 200, 1, 0, false);
    hot.record(start + 1, 'GET', '/a', 200, 1, 0, false);
    hot.record(start + 10_001, 'GET', '/a', 200, 1, 0, false);
    const minutes = hot.drain().filter((cell) => !Number.isNaN(cell.minute)).map((cell) => [cell.minute, cell.count]);
    expect(minutes.sort()).toEqual([[start, 1], [start + 10_000, 1]]);
  });

  test('an entry idle for an hour goes at a drain (a review: one was kept for every route ever named); a route that comes back is counted afresh', () => {
    const hot = new HotRollups();
    const start = Date.UTC(2026, 0, 1, 12);
    for (let i = 0; i < 500; i++) hot.record(start + i, 'GET', `/scan/${i}`, 404, 1, 0, false);
    hot.record(start, 'GET', '/health', 200, 1, 0, false);
    expect(hot.drain().length).toBe(501);
    expect(hot.routeEntries).toBe(501);
    // Within the hour every entry stays; past it, only those recorded into since.
    hot.record(start + 59 * 60_000, 'GET', '/health', 200, 1, 0, false);
    hot.drain();
    expect(hot.routeEntries).toBe(501);
    hot.record(start + 61 * 60_000, 'GET', '/health', 200, 1, 0, false);
    expect(hot.drain().map((cell) => [cell.route, cell.count])).toEqual([['/health', 1]]);
    expect(hot.routeEntries).toBe(1);
    hot.record(start + 62 * 60_000, 'GET', '/scan/7', 404, 1, 0, false);
    expect(hot.drain().map((cell) => [cell.route, cell.count])).toEqual([['/scan/7', 1]]);
    expect(hot.routeEntries).toBe(2);
  });
});
