// What the trace exporters did not deliver at exit, in one line: every span given and not accepted is
// counted, whichever way it went (given = sent + failed + unanswered + unsent). Said by the preload's
// shutdown, and by a RequestTracer's own exit when there is no preload.
import type { ExitDrain } from './exporters/span-exporter.ts';
import type { ExportedSpans } from './final-send-child.ts';

/** The stderr line for the spans of `drain` not delivered within `budgetMs` (`exported`: the send's outcome), or undefined when none was lost. */
export function exportLossLine(drain: ExitDrain, exported: ExportedSpans | undefined, budgetMs: number): string | undefined {
  const given = drain.requests.reduce((sum, request) => sum + request.spans, 0);
  const outcome = exported ?? { sent: 0, failed: given, unanswered: 0 };
  const unsent = Math.max(0, given - outcome.sent - outcome.failed - outcome.unanswered);
  const lost = drain.unsent + drain.inFlight + drain.outOfTime + given - outcome.sent;
  if (lost === 0) return undefined;
  const why = [
    outcome.failed > 0 ? `${outcome.failed} refused or failed${outcome.refusedStatus !== undefined ? ` (HTTP ${outcome.refusedStatus})` : ''}` : '',
    outcome.unanswered > 0 ? `${outcome.unanswered} sent but unanswered (the backend may have them)` : '',
    unsent > 0 ? `${unsent} not sent: ${outcome.why ?? 'no time left'}` : '',
    drain.outOfTime > 0 ? `${drain.outOfTime} not encoded within the exit's share for it` : '',
    drain.inFlight > 0 ? `${drain.inFlight} cut off in flight (they may have arrived)` : '',
    drain.unsent > 0 ? `${drain.unsent} of a custom exporter, which cannot run at exit` : '',
  ].filter((part) => part !== '');
  return `at exit, ${lost} span(s) of the trace exporters not delivered within ${budgetMs} ms: ${why.join('; ')}`;
}
