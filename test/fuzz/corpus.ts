// The corpus of inputs that once broke something (test/fixtures/fuzz-corpus, one JSON file per
// case whose `broke` says what), and how a case becomes a batch for the time of the replay.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Batch, RollupCell, Span } from '../../src/core/wire-format.ts';

export const CORPUS_DIR = join(import.meta.dir, '../fixtures/fuzz-corpus');

/** A batch sent to the ingest endpoint: refused with `expect.status` naming `expect.path` (or its code), or accepted (202). */
export interface IngestCase {
  target: 'ingest';
  broke: string;
  /** Cells without `minute`: they are placed in the minute of the replay. */
  rollups: Array<Omit<RollupCell, 'minute'>>;
  /** The cells' sketches decode (the cell contradicts itself, not its sketch): left out of corpusSketches. */
  soundSketches?: true;
  /** Spans without `startTime`: they start in the minute of the replay. */
  spans?: Array<Omit<Span, 'startTime'>>;
  /** An array too long to keep in a file: `count` copies of `item`, put at `at` (a dotted path such as `spans.0.logs`) when the batch is made. */
  repeat?: { at: string; item: unknown; count: number };
  /** 413: refused before parsing, as holding more values than any batch (src/edge/http/json-extent.ts). */
  expect: { status: 422; path: string } | { status: 413; code: string } | { status: 202 };
}

/** A gzip body of `inflatedBytes` copies of `byte`, made at replay time (test/edge/ingest/hostile-bodies.test.ts replays these). */
export interface GzipBombCase {
  target: 'gzip-bomb';
  broke: string;
  byte: number;
  inflatedBytes: number;
  expect: { status: 413; code: string; withinMs: number; growthBytes: number };
}

/** Rows written straight into the store's SQLite, past ingest; the reads named in `expect.warned` must say they left rows out. */
export interface StoredRowsCase {
  target: 'stored-rows';
  broke: string;
  rows: Array<{ table: 'rollup_minute' | 'rollup_hour' | 'spans' } & Record<string, unknown>>;
  expect: { warned: Array<'summary' | 'routes' | 'timeseries' | 'trace'> };
}

export type CorpusCase = (IngestCase | StoredRowsCase | GzipBombCase) & { file: string };

export function loadCorpus(): CorpusCase[] {
  return readdirSync(CORPUS_DIR).filter((f) => f.endsWith('.json')).sort().map((file) => {
    const parsed = JSON.parse(readFileSync(join(CORPUS_DIR, file), 'utf8')) as CorpusCase;
    if (typeof parsed.broke !== 'string' || parsed.broke === '') throw new Error(`${file}: every corpus case says what it broke`);
    return { ...parsed, file };
  });
}

/** The case's cells in a batch of the minute of `now`, from instance `fuzz-corpus`. */
export function corpusBatch(entry: IngestCase & { file: string }, now: number): Batch {
  const minute = now - (now % 60_000);
  const batch: Batch = {
    version: 1,
    batchId: `corpus-${entry.file.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 40)}-${now}`,
    identity: { app: 'shop', service: 'fuzz', instance: 'fuzz-corpus', runtime: 'bun', runtimeVersion: '1.4.5', sdkVersion: '0.1.0' },
    window: { start: minute, end: minute + 59_999 },
    rollups: entry.rollups.map((cell) => ({ minute, ...cell })),
    samples: [],
    spans: (entry.spans ?? []).map((span) => ({ ...span, startTime: minute + 1_000 })),
    profiles: [],
    dropped: { rollups: 0, samples: 0, spans: 0, profiles: 0 },
  };
  if (entry.repeat !== undefined) {
    const keys = entry.repeat.at.split('.');
    let node = batch as unknown as Record<string, unknown>;
    for (const key of keys.slice(0, -1)) node = node[key] as Record<string, unknown>;
    node[keys[keys.length - 1]!] = new Array(entry.repeat.count).fill(entry.repeat.item);
  }
  return batch;
}

/** Every damaged base64 sketch the corpus holds, with its file. */
export function corpusSketches(): Array<{ file: string; sketch: string }> {
  const out: Array<{ file: string; sketch: string }> = [];
  for (const entry of loadCorpus()) {
    if (entry.target === 'gzip-bomb' || (entry.target === 'ingest' && entry.soundSketches)) continue;
    const cells = entry.target === 'ingest' ? entry.rollups : entry.rows;
    for (const cell of cells) if (typeof cell.sketch === 'string') out.push({ file: entry.file, sketch: cell.sketch });
  }
  return out;
}
