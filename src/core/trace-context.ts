// W3C Trace Context: parse and format `traceparent` / `tracestate`, and make ids from a CSPRNG.

export interface TraceParent {
  traceId: string;
  /** The caller's span id: our server span's parent. */
  parentId: string;
  sampled: boolean;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ALL_ZERO = /^0+$/;

/**
 * Parses a `traceparent` header. Anything malformed — version ff, all-zero ids, wrong lengths,
 * uppercase, extra fields on version 00 — gives null: an untrusted header is ignored, not repaired.
 */
export function parseTraceparent(header: string | null | undefined): TraceParent | null {
  if (!header) return null;
  const match = TRACEPARENT.exec(header.trim());
  if (!match) return null;
  const [, version, traceId, parentId, flags, rest] = match as unknown as [string, string, string, string, string, string | undefined];
  if (version === 'ff') return null;
  if (version === '00' && rest !== undefined) return null;
  if (ALL_ZERO.test(traceId) || ALL_ZERO.test(parentId)) return null;
  return { traceId, parentId, sampled: (parseInt(flags, 16) & 1) === 1 };
}

export function formatTraceparent(traceId: string, spanId: string, sampled: boolean): string {
  return `00-${traceId}-${spanId}-${sampled ? '01' : '00'}`;
}

const TRACESTATE_KEY = /^(?:[a-z][a-z0-9_\-*/]{0,255}|[a-z0-9][a-z0-9_\-*/]{0,240}@[a-z][a-z0-9_\-*/]{0,13})$/;
const TRACESTATE_VALUE = /^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;
const MAX_TRACESTATE_MEMBERS = 32;

/** Parses `tracestate` into ordered [key, value] pairs; a malformed header gives [] (dropped whole). */
export function parseTracestate(header: string | null | undefined): Array<[string, string]> {
  if (!header || header.length > 8192) return [];
  const members: Array<[string, string]> = [];
  const keys = new Set<string>();
  for (const raw of header.split(',')) {
    const member = raw.trim();
    if (member === '') continue;
    const eq = member.indexOf('=');
    if (eq <= 0) return [];
    const key = member.slice(0, eq);
    const value = member.slice(eq + 1);
    if (!TRACESTATE_KEY.test(key) || !TRACESTATE_VALUE.test(value) || keys.has(key)) return [];
    keys.add(key);
    members.push([key, value]);
  }
  return members.slice(0, MAX_TRACESTATE_MEMBERS);
}

export function formatTracestate(members: Array<[string, string]>): string {
  return members.slice(0, MAX_TRACESTATE_MEMBERS).map(([k, v]) => `${k}=${v}`).join(',');
}

// Random bytes are drawn in blocks: one getRandomValues call per 256 ids, not per id.
const POOL_SIZE = 4096;
/** Random bytes as hex, drawn a pool at a time: an id is then one substring, no table kept in the app's heap. */
let pool = '';
let poolAt = 0;

type WithHex = Uint8Array & { toHex?: () => string };

/** `bytes` as lowercase hex: Uint8Array's own toHex where the runtime has it (Bun), else a byte at a time. */
function hexOf(bytes: WithHex): string {
  if (typeof bytes.toHex === 'function') return bytes.toHex();
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

function randomHex(bytes: number): string {
  const chars = bytes * 2;
  for (;;) {
    if (poolAt + chars > pool.length) {
      pool = hexOf(crypto.getRandomValues(new Uint8Array(POOL_SIZE)));
      poolAt = 0;
    }
    const id = pool.slice(poolAt, (poolAt += chars));
    // All-zero ids are invalid in W3C Trace Context: draw again.
    if (!ALL_ZERO.test(id)) return id;
  }
}

/** A 128-bit trace id: 32 lowercase hex characters. */
export function newTraceId(): string {
  return randomHex(16);
}

/** A 64-bit span id: 16 lowercase hex characters. */
export function newSpanId(): string {
  return randomHex(8);
}
