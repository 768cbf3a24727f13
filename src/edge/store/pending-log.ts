// Batches taken but not yet folded into the tables: written durably as one row each before the
// store answers 202, held in memory, and folded (cells merged across batches and instances, detail
// chunked per minute) when a read needs the tables, when maintenance or an evaluation runs, or when
// the pending batches pass a size bound. Cloudflare bills rows written, and a busy app's batches
// write the same cells again and again: folding writes each cell once per fold instead.
//
// The log is a ring of slots rewritten in place (an upsert is one row written, and nothing is ever
// deleted, which would be a second row); a slot is reused only once what it held was folded, which
// the fold records as the highest sequence number folded. After an eviction or a restart, the slots
// past that number are read back: nothing acknowledged is lost.
import { utf8Length } from '../../core/utf8-length.ts';
import { validateBatch } from '../../core/validate-batch.ts';
import type { Batch } from '../../core/wire-format.ts';
import { getMetaNumber, setMeta } from './meta.ts';
import type { Sql } from './sql.ts';

/** Slots in the ring; the log folds at half of it, so a slot is never reused before its batch was folded. */
export const RING_SLOTS = 512;
/**
 * A batch whose log row would be larger than this, in UTF-8 bytes, is folded at once instead (a row
 * may hold 2 MB). Counted in characters, a batch of CJK paths passed it at 2.4 MB, and its write
 * failed on every retry: a 500, and its counts lost (a review).
 */
export const MAX_LOGGED_BYTES = 1_500_000;
/** Pending records (cells, samples, spans, profiles) past which the log folds: memory stays bounded. */
export const MAX_PENDING_RECORDS = 50_000;
/**
 * Pending log bytes past which the log folds. Few records can be large (spans with long logs): bound
 * by count and records alone, a key holder's batches had held 400 MB in the object, read back whole
 * at each restart (a review; an object may use 128 MB).
 */
export const MAX_PENDING_BYTES = 4_000_000;

/** A batch as ingest took it: routes through the cap, the instance name it is stored under, the store's time. */
export interface PendingBatch {
  seq: number;
  receivedAt: number;
  instance: string;
  batch: Batch;
}

interface Checkpoint {
  length: number;
  records: number;
  bytes: number;
  lastSeq: number;
}

export class PendingLog {
  private readonly pending: PendingBatch[] = [];
  private records = 0;
  private bytes = 0;
  private lastSeq: number;

  constructor(private readonly sql: Sql) {
    this.lastSeq = sql.exec<{ seq: number | null }>('SELECT MAX(seq) AS seq FROM pending_batches').one().seq ?? 0;
  }

  /** The batches past the last fold, read back after a restart (in the order they were taken). Unreadable rows are skipped and counted. */
  recover(): { batches: number; unreadable: number } {
    const folded = getMetaNumber(this.sql, 'folded_seq') ?? 0;
    let unreadable = 0;
    for (const row of this.sql.exec<{ seq: number; body: string }>('SELECT seq, body FROM pending_batches WHERE seq > ? ORDER BY seq', folded)) {
      const entry = parse(row.body);
      if (entry === null) unreadable++;
      else this.hold({ ...entry, seq: row.seq }, utf8Length(row.body));
    }
    return { batches: this.pending.length, unreadable };
  }

  get size(): number {
    return this.pending.length;
  }

  /** Whether the next batch should be folded at once rather than held. */
  get full(): boolean {
    return this.pending.length >= RING_SLOTS / 2 || this.records >= MAX_PENDING_RECORDS || this.bytes >= MAX_PENDING_BYTES;
  }

  /**
   * Logs a batch durably (inside the caller's transaction) and holds it; false when it is too large
   * to log, and the caller folds it with the rest at once.
   */
  append(entry: Omit<PendingBatch, 'seq'>): boolean {
    // The row's batch stays the v1 an older Worker knows (one rolled back reads this log too, and
    // validates strictly); additions ride beside it.
    const { parentTraces, ...dropped } = entry.batch.dropped;
    const logged = parentTraces === undefined ? { batch: entry.batch } : { batch: { ...entry.batch, dropped }, parentTraces };
    const body = JSON.stringify({ receivedAt: entry.receivedAt, instance: entry.instance, ...logged });
    const bytes = utf8Length(body);
    if (bytes > MAX_LOGGED_BYTES) return false;
    const seq = this.lastSeq + 1;
    this.sql.exec(
      'INSERT INTO pending_batches (slot, seq, body) VALUES (?, ?, ?) ON CONFLICT (slot) DO UPDATE SET seq = excluded.seq, body = excluded.body',
      seq % RING_SLOTS, seq, body,
    );
    this.lastSeq = seq;
    this.hold({ ...entry, seq }, bytes);
    return true;
  }

  /** The batches to fold, oldest first (still held until `folded`). */
  batches(): readonly PendingBatch[] {
    return this.pending;
  }

  /** Inside the fold's transaction: records that everything held is folded; the slots may be reused. */
  markFolded(): void {
    if (this.pending.length === 0) return;
    setMeta(this.sql, 'folded_seq', this.pending[this.pending.length - 1]!.seq);
  }

  /** After the fold's transaction committed: forget what it wrote. */
  clear(): void {
    this.pending.length = 0;
    this.records = 0;
    this.bytes = 0;
  }

  /** Where the log is before a transaction that may append to it. */
  checkpoint(): Checkpoint {
    return { length: this.pending.length, records: this.records, bytes: this.bytes, lastSeq: this.lastSeq };
  }

  /** The transaction rolled back: what it appended was never taken. */
  rollback(to: Checkpoint): void {
    this.pending.length = Math.min(this.pending.length, to.length);
    this.records = to.records;
    this.bytes = to.bytes;
    this.lastSeq = to.lastSeq;
  }

  private hold(entry: PendingBatch, bytes: number): void {
    this.pending.push(entry);
    this.records += recordsOf(entry.batch);
    this.bytes += bytes;
    this.lastSeq = Math.max(this.lastSeq, entry.seq);
  }
}

const recordsOf = (batch: Batch) => batch.rollups.length + batch.samples.length + batch.spans.length + batch.profiles.length;

/**
 * A log row back as a batch, checked again as the wire format (its own rows are untrusted too); null
 * when it does not pass (damage): its batch id stays remembered, its data is lost, and counted.
 */
function parse(body: string): Omit<PendingBatch, 'seq'> | null {
  let value: { receivedAt?: unknown; instance?: unknown; batch?: unknown; parentTraces?: unknown };
  try {
    value = JSON.parse(body) as typeof value;
  } catch {
    return null;
  }
  if (typeof value?.receivedAt !== 'number' || typeof value.instance !== 'string' || value.instance.length === 0) return null;
  const parentTraces = value.parentTraces;
  if (parentTraces !== undefined && !(Number.isSafeInteger(parentTraces) && (parentTraces as number) >= 0)) return null;
  const checked = validateBatch(value.batch, { maxProblems: 1 });
  if (!checked.ok) return null;
  const batch = parentTraces === undefined ? checked.batch : { ...checked.batch, dropped: { ...checked.batch.dropped, parentTraces: parentTraces as number } };
  return { receivedAt: value.receivedAt, instance: value.instance, batch };
}
