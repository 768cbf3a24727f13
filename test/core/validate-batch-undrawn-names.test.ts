// Names the edge keeps (routes, span names, tag keys, instances) never hold a character drawn as
// nothing: a key holder's routes with U+200C, U+200D, tag characters, Hangul fillers, variation
// selectors, the braille blank and U+FFF9 looked exactly like /users/:id in the dashboard and API.
// In process, the corpus's accepted batches (test/fixtures/fuzz-corpus, also replayed in workerd).
import { describe, expect, test } from 'bun:test';
import { validateBatch } from '../../src/core/validate-batch.ts';
import { corpusBatch, loadCorpus, type IngestCase } from '../fuzz/corpus.ts';

const UNDRAWN = /[\p{Default_Ignorable_Code_Point}\p{Cf}\u115f\u1160\u2800\u3164\uffa0]/u;
const ACCEPTED = loadCorpus().filter((c): c is IngestCase & { file: string } => c.target === 'ingest' && c.expect.status === 202);

describe('accepted corpus batches are stored with every undrawn character in a name as U+FFFD', () => {
  test('the corpus holds the key holder\'s routes', () => {
    expect(ACCEPTED.map((c) => c.file)).toContain('ingest-route-undrawn-characters.json');
  });

  for (const entry of ACCEPTED) {
    test(entry.file, () => {
      const now = Date.now();
      const result = validateBatch(corpusBatch(entry, now), { now });
      if (!result.ok) throw new Error(JSON.stringify(result.problems));
      const { batch } = result;
      const names = [
        ...Object.values(batch.identity).filter((v): v is string => typeof v === 'string'),
        ...batch.rollups.map((cell) => cell.route),
        ...batch.spans.flatMap((span) => [span.name, ...Object.keys(span.tags)]),
      ];
      expect(names.filter((name) => UNDRAWN.test(name)).map((name) => JSON.stringify(name))).toEqual([]);
    });
  }

  test('the hostile route stays a route of its own, one U+FFFD for each character', () => {
    const entry = ACCEPTED.find((c) => c.file === 'ingest-route-undrawn-characters.json')!;
    const now = Date.now();
    const result = validateBatch(corpusBatch(entry, now), { now });
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    const shown = `/users/${'\ufffd'.repeat(10)}:id`;
    expect(result.batch.rollups.map((cell) => cell.route)).toEqual(['/users/:id', shown]);
    expect(result.batch.spans[0]!.name).toBe(`GET ${shown}`);
    expect(Object.keys(result.batch.spans[0]!.tags)).toEqual(['http.route\ufffd\ufffd']);
  });
});
