// Decodes a Jaeger collector body with the npm `thrift` package's own TBinaryProtocol, reading
// generically (readStructBegin/readFieldBegin/…), then checks every field id, wire type and
// required-ness against the structs of jaeger-idl's thrift/jaeger.thrift, transcribed below.
// Independent of src/plugin/exporters: nothing here shares code with the encoder.
import thrift from 'thrift';

const { TBinaryProtocol, TFramedTransport, Thrift } = thrift;
const T = Thrift.Type;

type FieldType = 'bool' | 'i32' | 'i64' | 'double' | 'string' | 'binary' | { struct: StructName } | { list: FieldType };
type StructName = 'Tag' | 'Log' | 'SpanRef' | 'Span' | 'Process' | 'Batch';
type FieldSpec = [name: string, type: FieldType, required: boolean];

/** jaeger.thrift field ids, types and required-ness (enums are i32 on the wire). */
const IDL: Record<StructName, Record<number, FieldSpec>> = {
  Tag: {
    1: ['key', 'string', true],
    2: ['vType', 'i32', true],
    3: ['vStr', 'string', false],
    4: ['vDouble', 'double', false],
    5: ['vBool', 'bool', false],
    6: ['vLong', 'i64', false],
    7: ['vBinary', 'binary', false],
  },
  Log: { 1: ['timestamp', 'i64', true], 2: ['fields', { list: { struct: 'Tag' } }, true] },
  SpanRef: { 1: ['refType', 'i32', true], 2: ['traceIdLow', 'i64', true], 3: ['traceIdHigh', 'i64', true], 4: ['spanId', 'i64', true] },
  Span: {
    1: ['traceIdLow', 'i64', true],
    2: ['traceIdHigh', 'i64', true],
    3: ['spanId', 'i64', true],
    4: ['parentSpanId', 'i64', true],
    5: ['operationName', 'string', true],
    6: ['references', { list: { struct: 'SpanRef' } }, false],
    7: ['flags', 'i32', true],
    8: ['startTime', 'i64', true],
    9: ['duration', 'i64', true],
    10: ['tags', { list: { struct: 'Tag' } }, false],
    11: ['logs', { list: { struct: 'Log' } }, false],
    12: ['incomplete', 'bool', false],
  },
  Process: { 1: ['serviceName', 'string', true], 2: ['tags', { list: { struct: 'Tag' } }, false] },
  Batch: { 1: ['process', { struct: 'Process' }, true], 2: ['spans', { list: { struct: 'Span' } }, true] },
};

/** jaeger.thrift `enum TagType { STRING, DOUBLE, BOOL, LONG, BINARY }`. */
export const JAEGER_TAG_TYPE = { STRING: 0, DOUBLE: 1, BOOL: 2, LONG: 3, BINARY: 4 } as const;

export interface JaegerTag {
  key: string;
  vType: number;
  vStr?: string;
  vDouble?: number;
  vBool?: boolean;
  /** i64 as a signed decimal string. */
  vLong?: string;
}
export interface JaegerLog {
  timestamp: number;
  fields: JaegerTag[];
}
export interface JaegerSpan {
  /** i64 ids as 16 hex digits (their big-endian bytes). */
  traceIdLow: string;
  traceIdHigh: string;
  spanId: string;
  parentSpanId: string;
  operationName: string;
  flags: number;
  /** µs, read as i64. */
  startTime: number;
  duration: number;
  tags?: JaegerTag[];
  logs?: JaegerLog[];
}
export interface JaegerBatch {
  process: { serviceName: string; tags?: JaegerTag[] };
  spans: JaegerSpan[];
}

function wireType(type: FieldType): number {
  if (typeof type === 'object') return 'struct' in type ? T.STRUCT : T.LIST;
  return { bool: T.BOOL, i32: T.I32, i64: T.I64, double: T.DOUBLE, string: T.STRING, binary: T.STRING }[type];
}

type Protocol = InstanceType<typeof TBinaryProtocol>;

function readValue(protocol: Protocol, type: FieldType, where: string): unknown {
  if (typeof type === 'object') {
    if ('struct' in type) return readStruct(protocol, type.struct, where);
    const { etype, size } = protocol.readListBegin();
    if (etype !== wireType(type.list)) throw new Error(`${where}: list element type ${etype}, IDL says ${wireType(type.list)}`);
    const items = Array.from({ length: size }, (_, i) => readValue(protocol, type.list, `${where}[${i}]`));
    protocol.readListEnd();
    return items;
  }
  switch (type) {
    case 'bool':
      return protocol.readBool();
    case 'i32':
      return protocol.readI32();
    case 'double':
      return protocol.readDouble();
    case 'string':
      return protocol.readString();
    case 'binary':
      return protocol.readBinary();
    case 'i64':
      return protocol.readI64().toOctetString();
  }
}

function readStruct(protocol: Protocol, name: StructName, where: string): Record<string, unknown> {
  const spec = IDL[name];
  const result: Record<string, unknown> = {};
  const seen = new Set<number>();
  protocol.readStructBegin();
  for (;;) {
    const field = protocol.readFieldBegin();
    if (field.ftype === T.STOP) break;
    const fieldSpec = spec[field.fid];
    if (!fieldSpec) throw new Error(`${where}: ${name} has no field ${field.fid}`);
    const [fieldName, type] = fieldSpec;
    if (field.ftype !== wireType(type)) throw new Error(`${where}.${fieldName}: wire type ${field.ftype}, IDL says ${wireType(type)}`);
    if (seen.has(field.fid)) throw new Error(`${where}.${fieldName}: written twice`);
    seen.add(field.fid);
    result[fieldName] = readValue(protocol, type, `${where}.${fieldName}`);
    protocol.readFieldEnd();
  }
  protocol.readStructEnd();
  for (const [id, [fieldName, , required]] of Object.entries(spec)) {
    if (required && !seen.has(Number(id))) throw new Error(`${where}: required ${name}.${fieldName} (field ${id}) missing`);
  }
  return result;
}

function i64Hex(hex: string): bigint {
  return BigInt.asIntN(64, BigInt(`0x${hex}`));
}

function normaliseTag(tag: Record<string, unknown>): JaegerTag {
  const out = { ...tag } as unknown as JaegerTag;
  if (typeof tag.vLong === 'string') out.vLong = String(i64Hex(tag.vLong));
  return out;
}

/** Decodes a whole body as one `Batch` struct; throws on anything jaeger.thrift does not allow, or trailing bytes. */
export function decodeJaegerBatch(body: Uint8Array): JaegerBatch {
  const transport = new TFramedTransport(Buffer.from(body));
  const protocol = new TBinaryProtocol(transport);
  const raw = readStruct(protocol, 'Batch', 'Batch') as { process: { serviceName: string; tags?: Record<string, unknown>[] }; spans: Record<string, unknown>[] };
  const consumed = (transport as unknown as { readPos: number }).readPos;
  if (consumed !== body.length) throw new Error(`${body.length - consumed} trailing bytes after the Batch`);
  return {
    process: { ...raw.process, tags: raw.process.tags?.map(normaliseTag) },
    spans: raw.spans.map((span) => ({
      ...(span as unknown as JaegerSpan),
      startTime: Number(i64Hex(span.startTime as string)),
      duration: Number(i64Hex(span.duration as string)),
      tags: (span.tags as Record<string, unknown>[] | undefined)?.map(normaliseTag),
      logs: (span.logs as Array<{ timestamp: string; fields: Record<string, unknown>[] }> | undefined)?.map((log) => ({
        timestamp: Number(i64Hex(log.timestamp)),
        fields: log.fields.map(normaliseTag),
      })),
    })),
  };
}

/** Tags as a plain object of their typed values, for assertions. */
export function tagValues(tags: JaegerTag[] | undefined): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const tag of tags ?? []) {
    const present = (['vStr', 'vDouble', 'vBool', 'vLong', 'vBinary'] as const).filter((key) => key in tag);
    if (present.length !== 1) throw new Error(`tag ${tag.key}: ${present.length} value fields set, expected exactly one`);
    if (tag.vType === JAEGER_TAG_TYPE.STRING) out[tag.key] = tag.vStr!;
    else if (tag.vType === JAEGER_TAG_TYPE.DOUBLE) out[tag.key] = tag.vDouble!;
    else if (tag.vType === JAEGER_TAG_TYPE.BOOL) out[tag.key] = tag.vBool!;
    else if (tag.vType === JAEGER_TAG_TYPE.LONG) out[tag.key] = Number(tag.vLong!);
    else throw new Error(`tag ${tag.key}: unexpected vType ${tag.vType}`);
  }
  return out;
}
