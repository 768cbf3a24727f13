// A mergeable quantile sketch (DDSketch-style log buckets): every quantile it answers is
// within ALPHA relative error of the true value, whatever the distribution or merge order.

/** Relative accuracy of every quantile: 1 %. */
export const ALPHA = 0.01;
const GAMMA = (1 + ALPHA) / (1 - ALPHA);
const LOG_GAMMA = Math.log(GAMMA);
/** Values at or below this (ms) are counted as zero: below any clock's resolution. */
const MIN_INDEXABLE = 1e-6;
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

  add(value: number, times = 1): void {
    if (!(value >= 0) || !Number.isFinite(value) || !(times > 0)) return; // NaN, negative, Infinity
    this.count += times;
    this.sum += value * times;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    if (value <= MIN_INDEXABLE) {
      this.zeroCount += times;
      return;
    }
    this.addToBucket(Math.ceil(Math.log(value) / LOG_GAMMA), times);
  }

  merge(other: QuantileSketch): this {
    if (other.count === 0) return this;
    this.count += other.count;
    this.sum += other.sum;
    this.zeroCount += other.zeroCount;
    if (other.min < this.min) this.min = other.min;
    if (other.max > this.max) this.max = other.max;
    for (let i = 0; i < other.bins.length; i++) {
      const n = other.bins[i]!;
      if (n > 0) this.addToBucket(other.offset + i, n);
    }
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

  /** Throws a RangeError naming the problem when the bytes are not a sketch of this format. */
  static fromBytes(bytes: Uint8Array): QuantileSketch {
    const input = new ByteReader(bytes);
    const version = input.byte();
    if (version !== FORMAT_VERSION) throw new RangeError(`sketch: unknown format version ${version}`);
    const sketch = new QuantileSketch();
    const count = input.uvarint();
    sketch.zeroCount = input.uvarint();
    const sum = input.float64();
    const min = input.float64();
    const max = input.float64();
    const pairs = input.uvarint();
    let index = 0;
    let inBins = 0;
    for (let i = 0; i < pairs; i++) {
      index += input.svarint();
      const n = input.uvarint();
      sketch.addToBucket(index, n);
      inBins += n;
    }
    if (!input.done()) throw new RangeError('sketch: trailing bytes');
    if (inBins + sketch.zeroCount !== count) throw new RangeError('sketch: bucket counts do not add up to count');
    if (count > 0 && !(min >= 0 && min <= max && Number.isFinite(max) && Number.isFinite(sum) && sum >= 0)) {
      throw new RangeError('sketch: min/max/sum out of range');
    }
    sketch.count = count;
    if (count > 0) {
      sketch.sum = sum;
      sketch.min = min;
      sketch.max = max;
    }
    return sketch;
  }

  static fromBase64(text: string): QuantileSketch {
    return QuantileSketch.fromBytes(base64ToBytes(text));
  }

  private addToBucket(index: number, times: number): void {
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

  uvarint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.byte();
      value += (b & 0x7f) * scale;
      if (b < 0x80) return value;
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
