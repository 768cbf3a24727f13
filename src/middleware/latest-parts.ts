// The monitor, tracer and alerting made last in this process: what a dashboard given none of its
// own shows. The bun-router document's quick start mounts all three on a router without handing
// them to the dashboard, and expects it to show what they measure. (Typed by the reader, so that
// this module imports none of the three.)

export type PartKind = 'monitor' | 'tracer' | 'alerting';

const latest = new Map<PartKind, object>();

export function rememberPart(kind: PartKind, part: object): void {
  latest.set(kind, part);
}

export function latestPart<T extends object>(kind: PartKind): T | undefined {
  return latest.get(kind) as T | undefined;
}

/** A part closed is no longer shown. */
export function forgetPart(part: object): void {
  for (const [kind, known] of latest) if (known === part) latest.delete(kind);
}
