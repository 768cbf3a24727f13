// Spans → jaeger.thrift `Batch{process, spans}` in TBinaryProtocol, the body Jaeger's collector
// takes on POST /api/traces. Field ids and types follow jaeger-idl's thrift/jaeger.thrift.
import type { Span, TagValue } from '../wire-format.ts';
import { isInteger, msToMicros } from './span-units.ts';
import { ThriftBinaryWriter, TType } from './thrift-binary-writer.ts';

/** jaeger.thrift `enum TagType { STRING, DOUBLE, BOOL, LONG, BINARY }`. */
const TagType = { STRING: 0, DOUBLE: 1, BOOL: 2, LONG: 3 } as const;

/** jaeger.thrift Span.flags: 1 = sampled (everything we export was sampled). */
const FLAG_SAMPLED = 1;

export interface JaegerProcess {
  serviceName: string;
  tags?: Record<string, TagValue>;
}

function writeTag(writer: ThriftBinaryWriter, key: string, value: TagValue): void {
  writer.fieldBegin(TType.STRING, 1);
  writer.string(key);
  if (typeof value === 'string') {
    writer.fieldBegin(TType.I32, 2);
    writer.i32(TagType.STRING);
    writer.fieldBegin(TType.STRING, 3);
    writer.string(value);
  } else if (typeof value === 'boolean') {
    writer.fieldBegin(TType.I32, 2);
    writer.i32(TagType.BOOL);
    writer.fieldBegin(TType.BOOL, 5);
    writer.bool(value);
  } else if (isInteger(value)) {
    writer.fieldBegin(TType.I32, 2);
    writer.i32(TagType.LONG);
    writer.fieldBegin(TType.I64, 6);
    writer.i64(BigInt(value));
  } else {
    writer.fieldBegin(TType.I32, 2);
    writer.i32(TagType.DOUBLE);
    writer.fieldBegin(TType.DOUBLE, 4);
    writer.double(value);
  }
  writer.structEnd();
}

function writeTagList(writer: ThriftBinaryWriter, id: number, tags: Array<[string, TagValue]>): void {
  writer.fieldBegin(TType.LIST, id);
  writer.listBegin(TType.STRUCT, tags.length);
  for (const [key, value] of tags) writeTag(writer, key, value);
}

/**
 * Jaeger has no kind or status fields: they travel as the tags its UI reads — `span.kind`,
 * `error=true`, and the `otel.status_*` pair Jaeger's own OTLP translation writes.
 */
export function jaegerTags(span: Span): Array<[string, TagValue]> {
  const tags = new Map<string, TagValue>(Object.entries(span.tags));
  if (span.kind !== 'internal') tags.set('span.kind', span.kind);
  if (span.status === 'error') {
    tags.set('error', true);
    tags.set('otel.status_code', 'ERROR');
    if (span.error) tags.set('otel.status_description', span.error);
  } else if (span.status === 'ok') {
    tags.set('otel.status_code', 'OK');
  }
  return [...tags];
}

function writeSpan(writer: ThriftBinaryWriter, span: Span): void {
  writer.fieldBegin(TType.I64, 1);
  writer.i64FromHex(span.traceId.slice(16, 32)); // traceIdLow
  writer.fieldBegin(TType.I64, 2);
  writer.i64FromHex(span.traceId.slice(0, 16)); // traceIdHigh
  writer.fieldBegin(TType.I64, 3);
  writer.i64FromHex(span.spanId);
  writer.fieldBegin(TType.I64, 4);
  writer.i64FromHex(span.parentSpanId ?? '0000000000000000'); // required; 0 marks a root
  writer.fieldBegin(TType.STRING, 5);
  writer.string(span.name);
  writer.fieldBegin(TType.I32, 7);
  writer.i32(FLAG_SAMPLED);
  writer.fieldBegin(TType.I64, 8);
  writer.i64(BigInt(msToMicros(span.startTime)));
  writer.fieldBegin(TType.I64, 9);
  writer.i64(BigInt(msToMicros(span.duration)));
  writeTagList(writer, 10, jaegerTags(span));
  if (span.logs.length > 0) {
    writer.fieldBegin(TType.LIST, 11);
    writer.listBegin(TType.STRUCT, span.logs.length);
    for (const log of span.logs) {
      writer.fieldBegin(TType.I64, 1);
      writer.i64(BigInt(msToMicros(log.timestamp)));
      writeTagList(writer, 2, [['level', log.level], ['message', log.message], ...Object.entries(log.fields ?? {})]);
      writer.structEnd();
    }
  }
  writer.structEnd();
}

/**
 * @example
 * const body = encodeJaegerBatch(spans, { serviceName: 'checkout' });
 * await fetch(`${collector}/api/traces`, { method: 'POST', body, headers: { 'content-type': 'application/vnd.apache.thrift.binary' } });
 */
export function encodeJaegerBatch(spans: readonly Span[], process: JaegerProcess): Uint8Array<ArrayBuffer> {
  const writer = new ThriftBinaryWriter();
  writer.fieldBegin(TType.STRUCT, 1);
  writer.fieldBegin(TType.STRING, 1);
  writer.string(process.serviceName);
  const processTags = Object.entries(process.tags ?? {});
  if (processTags.length > 0) writeTagList(writer, 2, processTags);
  writer.structEnd();
  writer.fieldBegin(TType.LIST, 2);
  writer.listBegin(TType.STRUCT, spans.length);
  for (const span of spans) writeSpan(writer, span);
  writer.structEnd();
  return writer.finish();
}
