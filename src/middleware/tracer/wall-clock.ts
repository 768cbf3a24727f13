// Wall time for the tracer's spans and logs, on the clock the preload's spans use (its recorder's
// offset, followed at each profile and drain: a child span then sits inside the preload's server
// span), else on the process's wall clock, followed at each reading. It had been
// `performance.timeOrigin + performance.now()`, fixed at the start of the process, and a host's
// clock drifts and steps: a review saw a child span drawn 8 s before its server span.
import { processRecorder } from '../../plugin/runtime/process-recorder.ts';
import { wallClock } from '../../plugin/runtime/wall-clock.ts';

export function wallNow(): number {
  const recorder = processRecorder();
  return (recorder !== undefined ? recorder.wallOffset : wallClock.follow()) + performance.now();
}
