// A mergeable quantile sketch (DDSketch-style log buckets): every quantile it answers is
// within ALPHA relative error of the true value, whatever the distribution or merge order.
//
// Sketches arrive from strangers (batches) and from storage, so the format is bounded by the
// sketch's own maths: values are kept apart only between MIN_INDEXABLE and MAX_VALUE, which fixes
// the bucket indices to MIN_INDEX..MAX_INDEX (2,073 buckets: a dense array of at most 16 KiB).
// Decoding checks every bound before it allocates, and counts and sums saturate rather than
// overflow, so any chain of merges stays decodable.

import { bucketIndex, exactIndex, GAMMA } from './sketch-index.ts';

export { ALPHA } from './sketch-index.ts';
/** Values at or below this (ms) are counted as zero: 1 ns, below any clock's resolution. */
export const MIN_INDEXABLE = 1e-6;
/** Larger values (ms) are counted as this: 1e12 ms is 31.7 years, longer than anything measured. */
export const MAX_VALUE = 1e12;
/** Lowest bucket index a sketch can hold: ⌈log_γ 1e-6⌉ = −690 (the quotient, −690.75, is far from an integer). */
export const MIN_INDEX = exactIndex(MIN_INDEXABLE);
/** Highest bucket index: ⌈log_γ 1e12⌉ = 1382 (the quotient is 1381.51). */
export const MAX_INDEX = exactIndex(MAX_VALUE);
/** Most non-empty buckets a sketch can have. */
export const MAX_BUCKETS = MAX_INDEX - MIN_INDEX + 1;
/** Values a sketch counts at most; merges past it saturate. Every count stays an exact integer. */
export const MAX_COUNT = Number.MAX_SAFE_INTEGER;
/** The sum saturates here (MAX_COUNT values of MAX_VALUE): finite after any merge. */
export const MAX_SUM = MAX_COUNT * MAX_VALUE;
const FORMAT_VERSION = 1;

/**
 * Counts, sum, min, max and log-spaced buckets of non-negative values (durations in ms).
 *
 * @example
 * const s = new QuantileSketch();
 * for (const ms of [3, 5, 120]) s.add(ms);
 * s.quantile(0.95); // ≈ 120, within 1 %
 */
export class QuantileSketch {
  count = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;
  private zeroCount = 0;
  /** Dense bucket counts; bins[i] holds the bucket with index offset + i. */
  private bins: number[] = [];
  private offset = 0;

  /** Counts `value` `times` times; NaN, negative and infinite values are ignored, values past MAX_VALUE count as MAX_VALUE. */
  add(value: number, times = 1): void {
    if (times !== 1 || !(value > MIN_INDEXABLE && value <= MAX_VALUE) || this.count >= MAX_COUNT) {
      this.addChecked(value, times);
      return;
    }
    // The request path's case (one duration, in range, room left) in its own copy: with `times` and
    // the zero bucket left out, an add costs ≈ 4 ns less (in-process, against the general body).
    this.count++;
    this.sum = Math.min(this.sum + value, MAX_SUM);
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    this.addToBucket(bucketIndex(value), 1);
  }

  private addChecked(value: number, times: number): void {
    if (!(value >= 0) || !Number.isFinite(value) || !Number.isSafeInteger(times) || times <= 0) return;
    if (value > MAX_VALUE) value = MAX_VALUE;
    times = Math.min(times, MAX_COUNT - this.count);
    if (times === 0) return; // saturated
    this.count += times;
    this.sum = Math.min(this.sum + value * times, MAX_SUM);
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    if (value <= MIN_INDEXABLE) {
      this.zeroCount += times;
      return;
    }
    this.addToBucket(bucketIndex(value), times);
  }

  /** Adds `other` in. Past MAX_COUNT values in all, the rest of `other` is left out (lowest buckets kept). */
  merge(other: QuantileSketch): this {
    if (other.count === 0) return this;
    let room = MAX_COUNT - this.count;
    if (room === 0) return this;
    const zeros = Math.min(other.zeroCount, room);
    room -= zeros;
    this.zeroCount += zeros;
    let taken = zeros;
    for (let i = 0; i < other.bins.length && room > 0; i++) {
      const n = Math.min(other.bins[i]!, room);
      if (n === 0) continue;
      this.addToBucket(other.offset + i, n);
      room -= n;
      taken += n;
    }
    this.count += taken;
    this.sum = Math.min(this.sum + other.sum, MAX_SUM);
    if (other.min < this.min) this.min = other.min;
    if (other.max > this.max) this.max = other.max;
    return this;
  }

  /** The value at rank q·(count−1) (lower quantile), within ALPHA; NaN when empty. */
  quantile(q: number): number {
    if (this.count === 0 || !(q >= 0 && q <= 1)) return NaN;
    if (q === 0) return this.min;
    if (q === 1) return this.max;
    const rank = q * (this.count - 1);
    let seen = this.zeroCount;
    if (seen > rank) return 0;
    for (let i = 0; i < this.bins.length; i++) {
      seen += this.bins[i]!;
      if (seen > rank) {
        const estimate = (2 * Math.pow(GAMMA, this.offset + i)) / (GAMMA + 1);
        return Math.min(Math.max(estimate, this.min), this.max);
      }
    }
    return this.max;
  }

  get mean(): number {
    return this.count === 0 ? NaN : this.sum / this.count;
  }

  clone(): QuantileSketch {
    return new QuantileSketch().merge(this);
  }

  /** Compact binary form: header, then (index delta, count) pairs as varints. */
  toBytes(): Uint8Array {
    const out = new ByteWriter();
    out.byte(FORMAT_VERSION);
    out.uvarint(this.count);
    out.uvarint(this.zeroCount);
    out.float64(this.count ? this.sum : 0);
    out.float64(this.count ? this.min : 0);
    out.float64(this.count ? this.max : 0);
    let nonEmpty = 0;
    for (const n of this.bins) if (n > 0) nonEmpty++;
    out.uvarint(nonEmpty);
    let previous = 0;
    for (let i = 0; i < this.bins.length; i++) {
      const n = this.bins[i]!;
      if (n === 0) continue;
      const index = this.offset + i;
      out.svarint(index - previous);
      out.uvarint(n);
      previous = index;
    }
    return out.bytes();
  }

  toBase64(): string {
    return bytesToBase64(this.toBytes());
  }

  /**
   * Decodes what toBytes wrote. Throws a RangeError naming the problem when the bytes are not a
   * sketch of this format within its bounds; every bound is checked before anything is allocated.
   */
  static fromBytes(bytes: Uint8Array): QuantileSketch {
    const input = new ByteReader(bytes);
    const version = input.byte();
    if (version !== FORMAT_VERSION) throw new RangeError(`sketch: unknown format version ${version}`);
    const count = input.uvarint();
    const zeroCount = input.uvarint();
    if (zeroCount > count) throw new RangeError('sketch: zero count above count');
    const sum = input.float64();
    const min = input.float64();
    const max = input.float64();
    if (count === 0 ? sum !== 0 || min !== 0 || max !== 0
      : !(min >= 0 && min <= max && max <= MAX_VALUE && sum >= 0 && sum <= MAX_SUM)) {
      throw new RangeError(`sketch: min/max/sum out of range (0 ≤ min ≤ max ≤ ${MAX_VALUE}, 0 ≤ sum ≤ ${MAX_SUM})`);
    }
    const pairs = input.uvarint();
    // Each pair takes at least two bytes, and indices strictly rise within MIN_INDEX..MAX_INDEX.
    if (pairs > MAX_BUCKETS || pairs * 2 > input.remaining()) throw new RangeError(`sketch: ${pairs} buckets declared, more than the bytes or the index range (${MAX_BUCKETS}) hold`);
    const indices = new Array<number>(pairs);
    const counts = new Array<number>(pairs);
    let index = 0;
    let inBins = 0;
    for (let i = 0; i < pairs; i++) {
      const delta = input.svarint();
      if (i > 0 && delta <= 0) throw new RangeError('sketch: bucket indices must rise');
      index += delta;
      if (index < MIN_INDEX || index > MAX_INDEX) throw new RangeError(`sketch: bucket index ${index} outside ${MIN_INDEX}..${MAX_INDEX}`);
      const n = input.uvarint();
      if (n === 0) throw new RangeError('sketch: empty bucket');
      inBins += n;
      if (inBins > count - zeroCount) throw new RangeError('sketch: bucket counts do not add up to count');
      indices[i] = index;
      counts[i] = n;
    }
    if (!input.done()) throw new RangeError('sketch: trailing bytes');
    if (inBins + zeroCount !== count) throw new RangeError('sketch: bucket counts do not add up to count');
    const sketch = new QuantileSketch();
    sketch.count = count;
    sketch.zeroCount = zeroCount;
    if (count > 0) {
      sketch.sum = sum;
      sketch.min = min;
      sketch.max = max;
    }
    if (pairs > 0) {
      sketch.offset = indices[0]!;
      sketch.bins = new Array<number>(indices[pairs - 1]! - sketch.offset + 1).fill(0);
      for (let i = 0; i < pairs; i++) sketch.bins[indices[i]! - sketch.offset] = counts[i]!;
    }
    return sketch;
  }

  static fromBase64(text: string): QuantileSketch {
    return QuantileSketch.fromBytes(base64ToBytes(text));
  }

  /** `index` always lies in MIN_INDEX..MAX_INDEX (add and decode see to it), so bins stay small. */
  private addToBucket(index: number, times: number): void {
    const at = index - this.offset;
    // Most often a bucket already there; kept this small so that add's caller can inline it.
    if (at >= 0 && at < this.bins.length) this.bins[at]! += times;
    else this.addToNewBucket(index, times);
  }

  /** Grows the bins down or up to reach `index`. */
  private addToNewBucket(index: number, times: number): void {
    if (this.bins.length === 0) {
      this.offset = index;
      this.bins.push(times);
      return;
    }
    if (index < this.offset) {
      const grow = this.offset - index;
      this.bins = new Array<number>(grow).fill(0).concat(this.bins);
      this.offset = index;
    } else {
      while (index - this.offset >= this.bins.length) this.bins.push(0);
    }
    this.bins[index - this.offset]! += times;
  }
}

class ByteWriter {
  private buffer = new Uint8Array(64);
  private length = 0;
  private view = new DataView(this.buffer.buffer);

  private ensure(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    const next = new Uint8Array(Math.max(this.buffer.length * 2, this.length + extra));
    next.set(this.buffer);
    this.buffer = next;
    this.view = new DataView(next.buffer);
  }

  byte(value: number): void {
    this.ensure(1);
    this.buffer[this.length++] = value;
  }

  uvarint(value: number): void {
    // Counts can pass 2^32, so divide instead of shifting.
    while (value >= 0x80) {
      this.byte((value % 0x80) | 0x80);
      value = Math.floor(value / 0x80);
    }
    this.byte(value);
  }

  svarint(value: number): void {
    this.uvarint(value >= 0 ? value * 2 : -value * 2 - 1);
  }

  float64(value: number): void {
    this.ensure(8);
    this.view.setFloat64(this.length, value, true);
    this.length += 8;
  }

  bytes(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }
}

class ByteReader {
  private position = 0;
  private readonly view: DataView;

  constructor(private readonly input: Uint8Array) {
    this.view = new DataView(input.buffer, input.byteOffset, input.byteLength);
  }

  byte(): number {
    if (this.position >= this.input.length) throw new RangeError('sketch: truncated');
    return this.input[this.position++]!;
  }

  /** At most 8 bytes (56 bits); values past 2^53 − 1 would not be exact, so they are refused. */
  uvarint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.byte();
      value += (b & 0x7f) * scale;
      if (b < 0x80) {
        if (value > Number.MAX_SAFE_INTEGER) throw new RangeError('sketch: varint past 2^53 − 1');
        return value;
      }
      scale *= 0x80;
    }
    throw new RangeError('sketch: varint too long');
  }

  svarint(): number {
    const v = this.uvarint();
    return v % 2 === 0 ? v / 2 : -(v + 1) / 2;
  }

  float64(): number {
    if (this.position + 8 > this.input.length) throw new RangeError('sketch: truncated');
    const value = this.view.getFloat64(this.position, true);
    this.position += 8;
    return value;
  }

  remaining(): number {
    return this.input.length - this.position;
  }

  done(): boolean {
    return this.position === this.input.length;
  }
}

export function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

export function base64ToBytes(text: string): Uint8Array {
  let binary: string;
  try {
    binary = atob(text);
  } catch {
    throw new RangeError('sketch: not base64');
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
