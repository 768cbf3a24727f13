// What the note under the routes table claims of the numbers above it: counts exact, percentiles
// from a sketch (within 1 %), detail sampled. It had said percentiles were exact (a review measured
// the edge's p50 0.8 % off the handlers' own timings, inside the sketch's bound).
import { expect, test } from 'bun:test';
import { SamplingNote } from '../../src/views/sampling-note.tsx';

test('the sampling note says percentiles are within 1 %, not exact', () => {
  const html = String(SamplingNote({ sampling: [{ instance: 'web-1', policy: { samplesPerSecond: 10, tracesPerSecond: 1, parentTracesPerSecond: 1 } }] }));
  expect(html).toContain('Request counts are exact and percentiles within 1 %');
  expect(html).not.toMatch(/percentiles (are|is) exact/);
});
