// Carried memory and CPU figures (a batch marked `carriedProfiles`) through the client's chunks: a chunk
// carries them only where they change and on its first sample, so each batch, whatever chunks it
// joins, restores every record by itself; for an edge that does not take them every record has them.
import { describe, expect, test } from 'bun:test';
import { detailChunks, splitChunk, uncarried, type DetailChunk, type DetailParts } from '../../src/plugin/runtime/pending-detail.ts';
import { fillCarriedProfiles, type DetailSample } from '../../src/core/wire-format.ts';

const P1 = { memoryUsage: { rss: 100, heapUsed: 10, heapTotal: 20 }, cpuUsage: 1.5 };
const P2 = { memoryUsage: { rss: 200, heapUsed: 30, heapTotal: 40 }, cpuUsage: 2.5 };

/** Seven records as the recorder writes them: figures on the first after each profile (0: P1, 3: P2). */
function recorded(): DetailSample[] {
  return Array.from({ length: 7 }, (_, i) => ({
    timestamp: 1_764_000_000_000 + i, method: 'GET', path: `/users/${i}`, route: '/users/:id', statusCode: 200, duration: 1,
    ...(i === 0 ? P1 : i === 3 ? P2 : {}),
  }));
}

const samplesOf = (chunk: DetailChunk): DetailSample[] => JSON.parse(`[${(chunk.parts as DetailParts).samples}]`);
/** The profile (1, 2) each record's figures are, 0 for none. */
const profileOf = (sample: DetailSample) => (sample.memoryUsage === undefined && sample.cpuUsage === undefined ? 0 : sample.memoryUsage?.rss === 100 && sample.cpuUsage === 1.5 ? 1 : sample.memoryUsage?.rss === 200 && sample.cpuUsage === 2.5 ? 2 : -1);
const CAPS = { samples: 3, spans: 10, profiles: 10 };

describe('carried figures in chunks', () => {
  test('for an edge that takes them: written where they change and on each chunk’s first record', () => {
    const chunks = detailChunks(recorded(), [], [], true, CAPS);
    expect(chunks.map((chunk) => samplesOf(chunk).map(profileOf))).toEqual([[1, 0, 0], [2, 0, 0], [2]]);
    expect(chunks.every((chunk) => chunk.carriedProfiles)).toBe(true);
  });

  test('each chunk restores to the figures every record was made under', () => {
    for (const chunk of detailChunks(recorded(), [], [], true, CAPS)) {
      const samples = samplesOf(chunk);
      fillCarriedProfiles(samples);
      expect(samples.map(profileOf)).toEqual(samples.map((s) => (Number(s.path.slice(7)) < 3 ? 1 : 2)));
    }
  });

  test('for an edge that does not: on every record', () => {
    const [chunk] = detailChunks(recorded(), [], [], false);
    expect(samplesOf(chunk!).map(profileOf)).toEqual([1, 1, 1, 2, 2, 2, 2]);
    expect(chunk!.carriedProfiles).toBe(false);
  });

  test('a carried chunk cut again to smaller caps gives each part its first record’s figures', () => {
    const [whole] = detailChunks(recorded(), [], [], true);
    const parts = splitChunk(whole!, { samples: 2, spans: 10, profiles: 10 });
    expect(parts.map((chunk) => samplesOf(chunk).map(profileOf))).toEqual([[1, 0], [1, 2], [2, 0], [2]]);
  });

  test('uncarried: every record given its figures, for an edge rolled back to before the addition', () => {
    const [whole] = detailChunks(recorded(), [], [], true);
    const plain = uncarried(whole!);
    expect(plain.carriedProfiles).toBe(false);
    expect(samplesOf(plain).map(profileOf)).toEqual([1, 1, 1, 2, 2, 2, 2]);
    expect(uncarried(plain)).toBe(plain);
  });

  test('records before any with figures stay without; a record with CPU only carries CPU only', () => {
    const samples = recorded().map((s, i) => (i < 2 ? { ...s, memoryUsage: undefined, cpuUsage: undefined } : s));
    samples[1] = { ...samples[1]!, cpuUsage: 7 };
    fillCarriedProfiles(samples);
    expect(samples.map((s) => [s.memoryUsage?.rss ?? null, s.cpuUsage ?? null])).toEqual([
      [null, null], [null, 7], [null, 7], [200, 2.5], [200, 2.5], [200, 2.5], [200, 2.5],
    ]);
  });
});
