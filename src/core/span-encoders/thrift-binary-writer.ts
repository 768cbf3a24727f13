// A minimal Thrift TBinaryProtocol struct writer: just the field types jaeger.thrift uses.
// Hand-written rather than generated so the exporter needs no Thrift runtime.

/** Thrift wire type ids (TType). */
export const TType = {
  STOP: 0,
  BOOL: 2,
  DOUBLE: 4,
  I32: 8,
  I64: 10,
  STRING: 11,
  STRUCT: 12,
  LIST: 15,
} as const;

export type ThriftType = (typeof TType)[keyof typeof TType];

const encoder = new TextEncoder();

/** Big-endian writer into a buffer that grows by doubling. */
export class ThriftBinaryWriter {
  #bytes = new Uint8Array(1024);
  #view = new DataView(this.#bytes.buffer);
  #length = 0;

  /** Makes room for `size` bytes and returns their offset. Call it before touching #bytes or #view: it may replace them. */
  #reserve(size: number): number {
    const at = this.#length;
    if (at + size > this.#bytes.length) {
      let capacity = this.#bytes.length * 2;
      while (capacity < at + size) capacity *= 2;
      const grown = new Uint8Array(capacity);
      grown.set(this.#bytes.subarray(0, at));
      this.#bytes = grown;
      this.#view = new DataView(grown.buffer);
    }
    this.#length = at + size;
    return at;
  }

  fieldBegin(type: ThriftType, id: number): void {
    this.byte(type);
    const at = this.#reserve(2);
    this.#view.setInt16(at, id);
  }

  /** Ends a struct: a STOP byte where the next field header would be. */
  structEnd(): void {
    this.byte(TType.STOP);
  }

  listBegin(elementType: ThriftType, size: number): void {
    this.byte(elementType);
    this.i32(size);
  }

  byte(value: number): void {
    const at = this.#reserve(1);
    this.#view.setUint8(at, value);
  }

  bool(value: boolean): void {
    this.byte(value ? 1 : 0);
  }

  i32(value: number): void {
    const at = this.#reserve(4);
    this.#view.setInt32(at, value);
  }

  i64(value: bigint): void {
    const at = this.#reserve(8);
    this.#view.setBigInt64(at, BigInt.asIntN(64, value));
  }

  /** Eight raw bytes, for ids already held as 16 hex digits (an i64's big-endian two's complement). */
  i64FromHex(hex16: string): void {
    const at = this.#reserve(8);
    this.#view.setBigUint64(at, BigInt(`0x${hex16}`));
  }

  double(value: number): void {
    const at = this.#reserve(8);
    this.#view.setFloat64(at, value);
  }

  string(value: string): void {
    const utf8 = encoder.encode(value);
    this.i32(utf8.length);
    const at = this.#reserve(utf8.length);
    this.#bytes.set(utf8, at);
  }

  /** A copy of what was written. */
  finish(): Uint8Array<ArrayBuffer> {
    return this.#bytes.slice(0, this.#length);
  }
}
