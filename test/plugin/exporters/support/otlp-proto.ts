// Checks an OTLP/HTTP JSON body against the official opentelemetry-proto definitions (the
// unmodified .proto files shipped by @elastic/mockotlpserver, v1.4.0), loaded with protobufjs:
// every key must be a field of its message in lowerCamelCase, every value of that field's JSON
// type, enums integers, 64-bit integers decimal strings and ids hex (the two OTLP/JSON rules).
// The body is then parsed into ExportTraceServiceRequest, encoded to protobuf and decoded back.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import protobuf from 'protobufjs';

const protoRoot = dirname(createRequire(import.meta.url).resolve('@elastic/mockotlpserver/package.json'));

function loadRoot(): protobuf.Root {
  const root = new protobuf.Root();
  // The files import each other as "opentelemetry/proto/…": resolve those from the package.
  root.resolvePath = (_origin, target) => join(protoRoot, target);
  root.loadSync('opentelemetry/proto/collector/trace/v1/trace_service.proto');
  root.resolveAll();
  return root;
}

export const otlpRoot = loadRoot();
export const ExportTraceServiceRequest = otlpRoot.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');

/** OTLP/JSON: these bytes fields are hex, not base64 (OTLP specification, JSON Protobuf Encoding). */
const HEX_ID_BYTES: Record<string, number> = { traceId: 16, spanId: 8, parentSpanId: 8 };

const INT64 = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);
const INT32 = new Set(['int32', 'uint32', 'sint32', 'fixed32', 'sfixed32']);

function checkScalar(field: protobuf.Field, value: unknown, path: string): void {
  const fail = (expected: string) => {
    throw new Error(`${path}: expected ${expected} for ${field.type} field, got ${JSON.stringify(value)}`);
  };
  if (field.resolvedType instanceof protobuf.Enum) {
    if (typeof value !== 'number' || !Object.values(field.resolvedType.values).includes(value)) fail('an integer value of the enum');
    return;
  }
  if (field.type === 'string') {
    if (typeof value !== 'string') fail('a string');
  } else if (field.type === 'bool') {
    if (typeof value !== 'boolean') fail('a boolean');
  } else if (INT64.has(field.type)) {
    if (typeof value !== 'string' || !/^-?\d+$/.test(value)) fail('a decimal string');
  } else if (INT32.has(field.type)) {
    if (typeof value !== 'number' || !Number.isInteger(value)) fail('an integer');
  } else if (field.type === 'double' || field.type === 'float') {
    if (!(typeof value === 'number' && Number.isFinite(value)) && !['NaN', 'Infinity', '-Infinity'].includes(value as string)) fail('a number');
  } else if (field.type === 'bytes') {
    const length = HEX_ID_BYTES[field.name];
    if (length === undefined) {
      if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) fail('base64');
    } else if (typeof value !== 'string' || !new RegExp(`^[0-9a-f]{${length * 2}}$`).test(value)) {
      fail(`${length * 2} lowercase hex digits`);
    }
  } else {
    fail('a known scalar');
  }
}

function checkMessage(type: protobuf.Type, json: unknown, path: string): void {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Error(`${path}: expected an object for ${type.fullName}`);
  for (const [key, value] of Object.entries(json)) {
    const field = type.fields[key]; // protobufjs names fields in lowerCamelCase, as OTLP/JSON requires
    if (!field) throw new Error(`${path}.${key}: ${type.fullName} has no field ${key}`);
    const check = (item: unknown, at: string) =>
      field.resolvedType instanceof protobuf.Type ? checkMessage(field.resolvedType, item, at) : checkScalar(field, item, at);
    if (field.repeated) {
      if (!Array.isArray(value)) throw new Error(`${path}.${key}: repeated field must be an array`);
      value.forEach((item, i) => check(item, `${path}.${key}[${i}]`));
    } else {
      check(value, `${path}.${key}`);
    }
  }
  for (const oneof of type.oneofsArray) {
    const set = oneof.oneof.filter((name) => name in (json as object));
    if (set.length > 1) throw new Error(`${path}: oneof ${oneof.name} has ${set.join(' and ')}`);
  }
}

/** Standard proto3 JSON (base64 bytes) from OTLP/JSON (hex ids), for protobufjs' fromObject. */
function hexIdsToBase64(json: unknown): unknown {
  if (Array.isArray(json)) return json.map(hexIdsToBase64);
  if (typeof json !== 'object' || json === null) return json;
  return Object.fromEntries(
    Object.entries(json).map(([key, value]) => [
      key,
      key in HEX_ID_BYTES && typeof value === 'string' ? Buffer.from(value, 'hex').toString('base64') : hexIdsToBase64(value),
    ]),
  );
}

/**
 * Validates `body` strictly, then returns the request as protobufjs decodes it from its protobuf
 * encoding: 64-bit integers as strings, enums as numbers, bytes as hex.
 */
export function parseOtlpTraceRequest(body: string): Record<string, any> {
  const json = JSON.parse(body);
  checkMessage(ExportTraceServiceRequest, json, '$');
  const message = ExportTraceServiceRequest.fromObject(hexIdsToBase64(json) as Record<string, unknown>);
  const problem = ExportTraceServiceRequest.verify(message);
  if (problem) throw new Error(`protobufjs verify: ${problem}`);
  const decoded = ExportTraceServiceRequest.decode(ExportTraceServiceRequest.encode(message).finish());
  const object = ExportTraceServiceRequest.toObject(decoded, { longs: String, enums: Number, bytes: String, defaults: false, arrays: true });
  return idsToHex(object) as Record<string, any>;
}

/** The id fields back from base64 to hex, so assertions read like the spans that went in. */
function idsToHex(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(idsToHex);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [
      key,
      key in HEX_ID_BYTES && typeof item === 'string' ? Buffer.from(item, 'base64').toString('hex') : idsToHex(item),
    ]),
  );
}
