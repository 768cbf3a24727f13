// How much a body's JSON would cost to parse, measured on its bytes before JSON.parse sees them.
// The byte cap alone does not bound the parse: 19 MiB of `[1,1,1,…]` inflated from 20 KB of gzip
// parsed to 100–150 MiB in workerd (a Durable Object has 128 MB), and `[{},{},…]` costs more per
// byte still. So the values and the containers a body holds, and how deep they nest, are counted
// first, allocating nothing; past a cap the body is refused, naming where the count passed it. The
// validator then bounds each array and object to what its place allows (validate-batch.ts).

export interface JsonExtentLimits {
  /** Array items and object members, all told. */
  maxValues: number;
  /** Arrays and objects, all told. */
  maxContainers: number;
  /** Arrays and objects open at once. */
  maxDepth: number;
}

export interface JsonExtentProblem {
  /** Which limit the body passed. */
  limit: keyof JsonExtentLimits;
  /** Where the count passed it: `spans[0].logs[1999999]`. */
  path: string;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

const isSpace = (byte: number) => byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;

/**
 * The first limit `bytes` (UTF-8 JSON) passes, or undefined. Only counts: a body that is not JSON
 * passes here and is refused by JSON.parse. Quotes, backslashes and brackets are ASCII, which no
 * byte of a multi-byte UTF-8 character is, so the bytes are scanned as they are.
 */
export function jsonExtentProblem(bytes: Uint8Array, limits: JsonExtentLimits): JsonExtentProblem | undefined {
  // Per open container: an array (its item index) or an object (its member's key, as byte offsets).
  const isArray = new Uint8Array(limits.maxDepth + 1);
  const index = new Int32Array(limits.maxDepth + 1);
  const keyStart = new Int32Array(limits.maxDepth + 1);
  const keyEnd = new Int32Array(limits.maxDepth + 1);
  let depth = 0;
  let values = 0;
  let containers = 0;
  // Just opened: the next byte that is not a space and not its closer starts its first item.
  let opened = false;
  // In an object, after `{` or `,`: the next string is a member's key.
  let expectKey = false;
  const problem = (limit: keyof JsonExtentLimits): JsonExtentProblem => ({ limit, path: pathAt(bytes, depth, isArray, index, keyStart, keyEnd) });
  const length = bytes.length;
  for (let i = 0; i < length; i++) {
    const byte = bytes[i]!;
    if (isSpace(byte)) continue;
    if (opened) {
      opened = false;
      if (byte !== CLOSE_ARRAY && byte !== CLOSE_OBJECT && ++values > limits.maxValues) return problem('maxValues');
    }
    if (byte === QUOTE) {
      const start = i + 1;
      for (i = start; i < length; i++) {
        const inner = bytes[i]!;
        if (inner === BACKSLASH) i++;
        else if (inner === QUOTE) break;
      }
      if (expectKey && depth > 0) {
        keyStart[depth] = start;
        keyEnd[depth] = i;
        expectKey = false;
      }
    } else if (byte === OPEN_ARRAY || byte === OPEN_OBJECT) {
      if (++containers > limits.maxContainers) return problem('maxContainers');
      if (depth === limits.maxDepth) return problem('maxDepth');
      depth++;
      isArray[depth] = byte === OPEN_ARRAY ? 1 : 0;
      index[depth] = 0;
      keyStart[depth] = keyEnd[depth] = 0;
      opened = true;
      expectKey = byte === OPEN_OBJECT;
    } else if (byte === CLOSE_ARRAY || byte === CLOSE_OBJECT) {
      if (depth > 0) depth--;
      expectKey = false;
    } else if (byte === COMMA) {
      if (depth === 0) continue;
      index[depth] = index[depth]! + 1;
      expectKey = isArray[depth] === 0;
      if (++values > limits.maxValues) return problem('maxValues');
    } else if (byte === COLON) {
      expectKey = false;
    }
  }
  return undefined;
}

/** The path of the item the scan is at, as the validator writes paths (`spans[0].logs[3]`); keys decoded only here. */
function pathAt(bytes: Uint8Array, depth: number, isArray: Uint8Array, index: Int32Array, keyStart: Int32Array, keyEnd: Int32Array): string {
  const decoder = new TextDecoder();
  let path = '';
  for (let level = 1; level <= depth; level++) {
    if (isArray[level] === 1) path += `[${index[level]}]`;
    else if (keyEnd[level]! > keyStart[level]!) {
      // A key is shown as JSON wrote it, escapes and all, cut short: it names a place, it is not parsed.
      const key = decoder.decode(bytes.subarray(keyStart[level], Math.min(keyEnd[level]!, keyStart[level]! + 64)));
      path += path === '' ? key : `.${key}`;
    }
  }
  return path;
}
