// Turns whatever addTag/addLog are given into a value a span can carry (string, number, boolean)
// that the edge's validator accepts: one it refused would cost the whole batch, counts included.
import { LIMITS, wireName, type TagValue } from '../../core/wire-format.ts';
import { REDACTED, shownValue } from '../../core/redaction/redaction.ts';
import { isSecret } from '../../core/redaction/secret-names.ts';

/** `value` as a tag's value, text cut to `length` (a tag's). */
export function toTagValue(value: unknown, length: number = LIMITS.tagValueLength): TagValue {
  if (typeof value === 'string') return value.slice(0, length);
  if (typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) return value;
  if (typeof value === 'number') return String(value); // NaN and ±Infinity are not JSON numbers
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) return `${value.name}: ${value.message}`.slice(0, length);
  try {
    const json = JSON.stringify(value);
    return (json ?? String(value)).slice(0, length);
  } catch {
    return String(value).slice(0, length);
  }
}

/**
 * An app's tag or log field as a span shows it: `[REDACTED]` whole under a name that looks secret
 * (as a header's: `token`, `password`, `authorization`), else its text's secrets redacted, as a
 * captured body's are. A boolean says nothing secret and stays one.
 */
export function toShownTagValue(name: string, value: unknown): TagValue {
  if (typeof value === 'boolean') return value;
  // Converted long, cut after redaction (shownValue reads past a tag's end): a secret across it goes whole.
  const converted = toTagValue(value, 4 * LIMITS.tagValueLength);
  if (typeof converted === 'string') return shownValue(name, converted);
  return isSecret(name) ? REDACTED : converted;
}

/** A log's fields as a span shows them (toShownTagValue), within the edge's limits. */
export function toFields(fields: Record<string, unknown> | undefined): Record<string, TagValue> | undefined {
  if (fields === undefined || fields === null || typeof fields !== 'object') return undefined;
  const out: Record<string, TagValue> = {};
  let n = 0;
  for (const [key, value] of Object.entries(fields)) {
    if (key === '') continue;
    if (n++ >= LIMITS.fieldsPerLog) break;
    putTag(out, key, toShownTagValue(key, value));
  }
  return out;
}

/**
 * Sets a tag within the wire format's limits, as every writer of a span's tags must: no empty key,
 * its key as the edge keeps it (wireName: two keys it would make one are one), no tag past
 * LIMITS.tagsPerSpan. The edge refuses a span past these, and its batch with it.
 */
export function putTag(tags: Record<string, TagValue>, key: string, value: TagValue): void {
  if (key === '') return;
  key = wireName(key, LIMITS.tagKeyLength);
  if (Object.keys(tags).length >= LIMITS.tagsPerSpan && !Object.hasOwn(tags, key)) return;
  // Defined, not assigned: `tags.__proto__ = 'x'` is dropped without a word (the edge keeps such keys).
  Object.defineProperty(tags, key, { value, enumerable: true, writable: true, configurable: true });
}
