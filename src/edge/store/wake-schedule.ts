// When an AppStore's alarm fires next, and what it does then. One alarm serves everything a store
// does on its own: rule evaluation each minute while it has alerting work, maintenance (roll-ups,
// retention) every MAINTENANCE_INTERVAL_SECONDS while it holds data, and the usage counts waiting in
// memory written before an eviction could lose them. A store with none of these sleeps: no request,
// no row written.
//
// Where an every-minute cron still ticks the store (an older wrangler.toml, the local runtime's
// `/__scheduled`, tests evaluating set minutes), the cron drives its evaluation: the alarm leaves
// evaluation to it while its last tick is recent, so no minute is evaluated by both.

const MINUTE_MS = 60_000;
/** A minute cron's tick newer than this (wall time) drives the store's evaluation: three missed ticks, and the alarm takes over (10 min had left alerts unevaluated that long after an upgrade dropped the minute cron, a review). */
export const CRON_DRIVES_MS = 3 * MINUTE_MS;

export interface WakeState {
  /** Real time: alarms are set in it. */
  wallNow: number;
  /** The store's clock (the local runtime's tests move it); maintenance times are in it. */
  storeNow: number;
  hasData: boolean;
  lastMaintenance: number | null;
  maintenanceIntervalMs: number;
  /** Alerting work every minute (EdgeAlerting.active). */
  alerting: boolean;
  /** Wall time of the last minute cron's tick, or null. */
  cronTickAt: number | null;
  /** Wall time the usage counts waiting in memory must be written by, or null (UsageCounter.writeDueAt). */
  usageWakeAt: number | null;
}

/**
 * How long after a minute's start its rules are evaluated: the instances' batches that end in the
 * minute just past arrive in the seconds after it (every 10 s by default, not on the minute), and
 * a minute is evaluated only once every instance still sending has reported all of it.
 */
export const EVALUATION_GRACE_MS = 15_000;

/** The next time, after `wallNow`, the alarm evaluates: a minute's start plus the grace. */
export const nextEvaluation = (wallNow: number) => Math.floor((wallNow - EVALUATION_GRACE_MS) / MINUTE_MS) * MINUTE_MS + MINUTE_MS + EVALUATION_GRACE_MS;

/** Whether the alarm evaluates rules (rather than a minute cron). */
export function alarmEvaluates(state: Pick<WakeState, 'alerting' | 'cronTickAt' | 'wallNow'>): boolean {
  return state.alerting && !(state.cronTickAt !== null && state.wallNow - state.cronTickAt < CRON_DRIVES_MS);
}

/** Whether maintenance is due at `storeNow` (never run counts as due). */
export function maintenanceDue(state: Pick<WakeState, 'lastMaintenance' | 'storeNow' | 'maintenanceIntervalMs'>): boolean {
  return state.lastMaintenance === null || state.storeNow >= state.lastMaintenance + state.maintenanceIntervalMs;
}

/** The wall time the alarm should fire next, or null when nothing is due. */
export function nextWake(state: WakeState): number | null {
  const times: number[] = [];
  if (state.hasData) {
    // Never run: an interval from now (a store's first maintenance waits for its first data to settle).
    const storeTime = (state.lastMaintenance ?? state.storeNow) + state.maintenanceIntervalMs;
    times.push(storeTime - (state.storeNow - state.wallNow));
  }
  if (state.usageWakeAt !== null) times.push(state.usageWakeAt);
  if (alarmEvaluates(state)) times.push(nextEvaluation(state.wallNow));
  // A minute cron drives evaluation now: the alarm wakes when it would take over, should the ticks
  // stop (the maintenance alarm alone had left rules unevaluated until it came, 5 min and more; a review).
  else if (state.alerting && state.cronTickAt !== null) times.push(state.cronTickAt + CRON_DRIVES_MS);
  return times.length === 0 ? null : Math.max(state.wallNow, Math.min(...times));
}
