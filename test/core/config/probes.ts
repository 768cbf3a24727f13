// Values just inside and just outside a numeric setting's range, for the bounds tests of every host.
import type { Setting } from '../../../src/core/config/setting.ts';

export interface Probes {
  /** Values the setting must take. */
  inside: number[];
  /** Values the setting must refuse. */
  outside: number[];
}

/** The numeric settings of a section, with their probes; others are tested by hand. */
export function numericProbes(settings: Record<string, Setting>): Array<[Setting, Probes]> {
  return Object.values(settings).flatMap((setting) => {
    const { min, max, integer } = setting.kind;
    if (min === undefined) return [];
    const inside = [min, ...(max === undefined ? [min + 1000] : [max])];
    const outside = [integer ? min - 1 : min > 0 ? min / 2 : min - 0.5, Number.NaN, Number.POSITIVE_INFINITY];
    if (max !== undefined) outside.push(integer ? max + 1 : max * 2 + 1);
    if (integer) outside.push(min + 0.5);
    return [[setting, { inside, outside }] as [Setting, Probes]];
  });
}

/** A config-file object with `value` at a dotted key: `profiling.interval` → `{ profiling: { interval } }`. */
// `any`: a test hands it to options of every type, bad values included.
export function nested(key: string, value: unknown): Record<string, any> {
  return key.split('.').reduceRight<unknown>((inner, part) => ({ [part]: inner }), value) as Record<string, any>;
}
