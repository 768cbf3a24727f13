// Property tests of the wire validator: whatever arrives, it answers without throwing; a batch it
// accepts can be merged any number of times and still sums to finite, decodable totals; a batch
// with one field broken is refused naming that field.
import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { summarise } from '../../src/core/query/summary.ts';
import { cellProblem, fromWire, mergeInto, toWire, type LiveCell } from '../../src/core/rollup.ts';
import { QuantileSketch } from '../../src/core/sketch.ts';
import { validateBatch } from '../../src/core/validate-batch.ts';
import type { Batch } from '../../src/core/wire-format.ts';
import { arbitraryBatch, mutatedBatch, namesMutatedField } from '../fuzz/arbitrary-batch.ts';
import { fuzzParams, fuzzTimeout } from '../fuzz/fuzz-params.ts';

const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);

/** Every cell of the batch merged into one, then doubled 64 times: far past any real traffic. */
function mergedToExtremes(batch: Batch): LiveCell[] {
  if (batch.rollups.length === 0) return [];
  const all = batch.rollups.map(fromWire).reduce((sum, cell) => mergeInto(sum, cell));
  const rounds: LiveCell[] = [];
  let cell = all;
  for (let i = 0; i < 64; i++) {
    // Through the wire form and back each time, as a stored row is read and written again.
    cell = mergeInto(fromWire(toWire(cell)), fromWire(toWire(cell)));
    rounds.push(cell);
  }
  return [all, ...rounds];
}

function expectFiniteTotals(cells: LiveCell[]): void {
  cells.forEach((cell, round) => {
    const problem = cellProblem(cell);
    if (problem !== null) throw new Error(`after ${round} doublings: ${problem}`);
    const back = QuantileSketch.fromBytes(cell.sketch.toBytes());
    if (back.count !== cell.count) throw new Error(`after ${round} doublings the sketch decodes to count ${back.count}, not ${cell.count}`);
    const summary = summarise([cell], { app: 'shop', from: cell.minute, to: cell.minute + 60_000 });
    const values = { requests: summary.requests, rps: summary.rps, errorRate: summary.errorRate, apdex: summary.apdex, ...summary.latency };
    for (const [name, value] of Object.entries(values)) {
      if (!Number.isFinite(value)) throw new Error(`after ${round} doublings ${name} is ${value}`);
    }
  });
}

describe('validateBatch under arbitrary input', () => {
  test('any JSON value gets an answer, never an exception, and every problem has a path and a message', () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 4 }), (input) => {
      const result = validateBatch(input, { now: NOW });
      if (result.ok) return;
      expect(result.problems.length).toBeGreaterThan(0);
      for (const problem of result.problems) {
        expect(typeof problem.path).toBe('string');
        expect(problem.message.length).toBeGreaterThan(0);
      }
    }), fuzzParams({ runs: 300, seconds: 5 }));
  }, fuzzTimeout(5));

  test('batches a conforming client builds are accepted, and their cells merged past 2^53 stay finite and decodable', () => {
    fc.assert(fc.property(arbitraryBatch(NOW), (batch) => {
      const result = validateBatch(JSON.parse(JSON.stringify(batch)), { now: NOW });
      if (!result.ok) throw new Error(`refused: ${JSON.stringify(result.problems.slice(0, 3))}`);
      expectFiniteTotals(mergedToExtremes(result.batch));
    }), fuzzParams({ runs: 150, seconds: 8 }));
  }, fuzzTimeout(8));

  test('a batch with one field replaced, removed, added or damaged is refused naming it, or is as safe as any accepted batch', () => {
    let refused = 0;
    fc.assert(fc.property(mutatedBatch(NOW), ({ batch, path, what }) => {
      const result = validateBatch(JSON.parse(JSON.stringify(batch) ?? 'null'), { now: NOW });
      if (result.ok) {
        expectFiniteTotals(mergedToExtremes(result.batch));
        return;
      }
      refused++;
      const named = result.problems.some((problem) => namesMutatedField(problem.path, path));
      if (!named) throw new Error(`${path} ${what}: problems name other fields: ${JSON.stringify(result.problems.slice(0, 3))}`);
    }), fuzzParams({ runs: 400, seconds: 10 }));
    // Most mutations break the batch; if none did, the generator lost its teeth.
    expect(refused).toBeGreaterThan(0);
  }, fuzzTimeout(10));
});
