// readMetricsFile on files anyone may have written: lines too long, not JSON, with numbers that are
// not finite or fields of the wrong kind are skipped and counted; the file is read in bounded
// memory whatever its size; at most maxRecords records are kept, the newest.
import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readMetricsFile } from '../../src/middleware/index.ts';
import { fuzzParams, fuzzTimeout } from '../fuzz/fuzz-params.ts';

const dir = mkdtempSync(join(tmpdir(), 'bun-apm-read-metrics-'));
let files = 0;
const fileWith = (content: string | Uint8Array) => {
  const path = join(dir, `metrics-${++files}.jsonl`);
  writeFileSync(path, content);
  return path;
};

function record(i: number, extra: Record<string, unknown> = {}) {
  return {
    timestamp: 1_790_000_000_000 + i, method: 'GET', path: `/items/${i}`, route: '/items/:id', statusCode: 200, responseTime: i + 0.5,
    memoryUsage: { rss: 1, heapUsed: 2, heapTotal: 3 }, ...extra,
  };
}

describe('readMetricsFile on hostile files', () => {
  test('lines that are not records are skipped and counted; the records are read', () => {
    const lines = [
      JSON.stringify(record(1)),
      JSON.stringify(record(2, { path: 'p'.repeat(2 * 1024 * 1024) })), // 2 MiB: past the line cap
      JSON.stringify(record(3)).replace('"responseTime":3.5', '"responseTime":1e999'), // parses to Infinity
      JSON.stringify(record(4, { statusCode: '200' })),
      JSON.stringify(record(5, { memoryUsage: { rss: 'lots' } })),
      '[1,2,3]',
      'null',
      '{"path":',
      JSON.stringify(record(9)),
    ];
    const { metrics, skipped } = readMetricsFile(fileWith(`${lines.join('\n')}\n{"torn`));
    expect(metrics.map((m) => m.path)).toEqual(['/items/1', '/items/9']);
    expect(skipped).toBe(8);
  });

  test('a 64 MiB file of one endless line is skipped while holding little more than one block', () => {
    const path = fileWith(new Uint8Array(64 * 1024 * 1024).fill(0x41));
    const peak = () => Number(/^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? NaN) * 1024;
    if (!existsSync('/proc/self/clear_refs')) return; // Linux only: elsewhere the rest of the file still tests the reading.
    Bun.gc(true);
    writeFileSync('/proc/self/clear_refs', '5');
    const before = peak();
    expect(readMetricsFile(path)).toEqual({ metrics: [], skipped: 1 });
    // Reading the file whole (as a string, then split) would take more than 64 MiB.
    expect(peak() - before).toBeLessThan(24 * 1024 * 1024);
  });

  test('past maxRecords the newest are kept and the rest counted as truncated', () => {
    const path = fileWith(`${Array.from({ length: 10 }, (_, i) => JSON.stringify(record(i))).join('\n')}\n`);
    const { metrics, skipped, truncated } = readMetricsFile(path, false, { maxRecords: 3 });
    expect(metrics.map((m) => m.path)).toEqual(['/items/7', '/items/8', '/items/9']);
    expect(skipped).toBe(0);
    expect(truncated).toBe(7);
  });

  test('whatever the lines, every line is a record or is skipped, and records hold finite numbers', () => {
    const line = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 200 }).map((s) => s.replace(/\n/g, ' ')),
      fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
      fc.tuple(fc.nat({ max: 1000 }), fc.constantFrom('timestamp', 'statusCode', 'responseTime', 'path', 'memoryUsage', 'cpuUsage'), fc.jsonValue({ maxDepth: 2 }))
        .map(([i, key, value]) => JSON.stringify(record(i, { [key]: value }))),
      fc.nat({ max: 1000 }).map((i) => JSON.stringify(record(i)).replace(/"responseTime":[^,]+/, '"responseTime":-1e999')),
    );
    fc.assert(fc.property(fc.array(line, { maxLength: 30 }), (lines) => {
      const path = fileWith(lines.map((l) => `${l}\n`).join(''));
      const { metrics, skipped } = readMetricsFile(path);
      expect(metrics.length + skipped).toBe(lines.filter((l) => l !== '').length);
      for (const m of metrics) {
        for (const value of [m.timestamp, m.responseTime, m.cpuUsage, m.memoryUsage?.rss]) {
          if (value !== undefined) expect(Number.isFinite(value)).toBe(true);
        }
      }
    }), fuzzParams({ runs: 200, seconds: 5 }));
  }, fuzzTimeout(5));
});
