// Turns whatever addTag/addLog are given into a value a span can carry (string, number, boolean)
// that the edge's validator accepts: one it refused would cost the whole batch, counts included.
import { LIMITS, type TagValue } from '../../core/wire-format.ts';

export function toTagValue(value: unknown): TagValue {
  if (typeof value === 'string') return value.slice(0, LIMITS.tagValueLength);
  if (typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) return value;
  if (typeof value === 'number') return String(value); // NaN and ±Infinity are not JSON numbers
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) return `${value.name}: ${value.message}`.slice(0, LIMITS.tagValueLength);
  try {
    const json = JSON.stringify(value);
    return (json ?? String(value)).slice(0, LIMITS.tagValueLength);
  } catch {
    return String(value).slice(0, LIMITS.tagValueLength);
  }
}

export function toFields(fields: Record<string, unknown> | undefined): Record<string, TagValue> | undefined {
  if (fields === undefined || fields === null || typeof fields !== 'object') return undefined;
  const out: Record<string, TagValue> = {};
  let n = 0;
  for (const [key, value] of Object.entries(fields)) {
    if (key === '') continue;
    if (n++ >= LIMITS.fieldsPerLog) break;
    out[key.slice(0, LIMITS.tagKeyLength)] = toTagValue(value);
  }
  return out;
}

/**
 * Sets a tag within the wire format's limits, as every writer of a span's tags must: no empty key,
 * no tag past LIMITS.tagsPerSpan (the edge refuses such a span, and its batch with it).
 */
export function putTag(tags: Record<string, TagValue>, key: string, value: TagValue): void {
  if (key === '' || (Object.keys(tags).length >= LIMITS.tagsPerSpan && !Object.hasOwn(tags, key))) return;
  // Defined, not assigned: `tags.__proto__ = 'x'` is dropped without a word (the edge keeps such keys).
  Object.defineProperty(tags, key, { value, enumerable: true, writable: true, configurable: true });
}
