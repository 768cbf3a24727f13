// How bun-apm speaks of the edge not taking data: one line when an outage starts, one when the edge
// takes data again. Shared by the sender, which hears the edge's "my settings are wrong" at the first
// answer, and the batcher, which hears of no edge met at a send's first attempt, knows when every
// attempt failed and when a batch got through: one outage is one pair of lines whoever heard it
// first (a long one had been said twice). An outage that
// starts within QUIET_MS of the last one said is said only once it has lasted past that, and its end
// only if it was said: an edge failing every other batch had printed a line a flush (a review).
import type { Log } from './log.ts';

export interface OutageLog {
  /** The edge did not take data: `message` is said unless this outage was, or one was said within QUIET_MS. */
  started(message: string): void;
  /** A batch got through: said if the outage was. */
  ended(): void;
}

export const QUIET_MS = 5 * 60_000;

export function createOutageLog(log: Log, now: () => number = Date.now): OutageLog {
  let said = false;
  let lastSaid = -Infinity;
  return {
    started(message) {
      if (said || now() - lastSaid < QUIET_MS) return;
      said = true;
      lastSaid = now();
      log.info(message);
    },
    ended() {
      if (!said) return;
      said = false;
      log.info('the edge takes data again: what was kept meanwhile is being sent');
    },
  };
}
