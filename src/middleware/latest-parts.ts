// The monitor, tracer and alerting made last in this process: what a dashboard given none of its
// own shows. The bun-router document's quick start mounts all three on a router without handing
// them to the dashboard, and expects it to show what they measure. (Typed by the reader, so that
// this module imports none of the three.)

export type PartKind = 'monitor' | 'tracer' | 'alerting';

/** Parts of each kind, newest last: one closed or forgotten gives way to the one made before it. */
const parts = new Map<PartKind, object[]>();
/** A process making parts over and over keeps only the newest few. */
const KEPT = 16;

export function rememberPart(kind: PartKind, part: object): void {
  const list = parts.get(kind) ?? [];
  list.push(part);
  if (list.length > KEPT) list.shift();
  parts.set(kind, list);
}

export function latestPart<T extends object>(kind: PartKind): T | undefined {
  return parts.get(kind)?.at(-1) as T | undefined;
}

/** A part closed, or one that is no app's own (a monitor's threshold alerting), is no longer shown. */
export function forgetPart(part: object): void {
  for (const list of parts.values()) {
    const at = list.indexOf(part);
    if (at >= 0) list.splice(at, 1);
  }
}
