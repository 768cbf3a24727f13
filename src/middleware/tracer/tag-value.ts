// Turns whatever addTag/addLog are given into a value a span can carry (string, number, boolean).
import { LIMITS, type TagValue } from '../../core/wire-format.ts';

export function toTagValue(value: unknown): TagValue {
  if (typeof value === 'string') return value.slice(0, LIMITS.tagValueLength);
  if (typeof value === 'number' || typeof value === 'boolean') return value;
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
    if (n++ >= LIMITS.fieldsPerLog) break;
    out[key.slice(0, LIMITS.tagKeyLength)] = toTagValue(value);
  }
  return out;
}
