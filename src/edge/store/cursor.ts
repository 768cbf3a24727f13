// Opaque page cursors: the sort key of the last row of a page, so the next page starts after it.

/**
 * `[time, record id]` (samples, profiles: a timestamp and a row or chunk-record id) or
 * `[time or duration, trace id]` (traces, newest or slowest first).
 */
export type CursorKey = [number, number | string];

/** Which listing a cursor belongs to: records by integer id, or traces by trace id. */
export type CursorShape = 'record' | 'trace';

/** A trace id as ingest stores it (validate-batch.ts): 32 lowercase hex characters. */
const TRACE_ID = /^[0-9a-f]{32}$/;

export function encodeCursor(key: CursorKey): string {
  return btoa(JSON.stringify(key)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The sort value: a time or a duration in ms, finite and not negative (either may be fractional). */
const isSortValue = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;
/** A row id, or a chunk record's id (chunk id × 2,048 + position): a safe integer ≥ 0. */
const isRecordId = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isTraceId = (v: unknown): v is string => typeof v === 'string' && TRACE_ID.test(v);

/**
 * The key in a cursor, or null when the text is not a cursor this store made: exactly two
 * elements, a time (or duration) and an integer record id or a trace id — `shape`'s when given,
 * else either. Anything else (a string where an id belongs, a third element) is not ours.
 */
export function decodeCursor(text: string, shape?: CursorShape): CursorKey | null {
  if (text.length > 200 || !/^[A-Za-z0-9_-]+$/.test(text)) return null;
  let value: unknown;
  try {
    value = JSON.parse(atob(text.replace(/-/g, '+').replace(/_/g, '/')));
  } catch {
    return null; // Not base64 or not JSON: not ours.
  }
  if (!Array.isArray(value) || value.length !== 2 || !isSortValue(value[0])) return null;
  const id: unknown = value[1];
  const fits = shape === 'record' ? isRecordId(id) : shape === 'trace' ? isTraceId(id) : isRecordId(id) || isTraceId(id);
  return fits ? [value[0], id as number | string] : null;
}
