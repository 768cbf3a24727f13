// What the app's own code threw (a storage handler, a custom exporter), fit for a stderr line: a
// driver's error quotes its connection URL and password, a handler's may quote the record it held.
import { redactText } from '../../core/redaction/redaction.ts';
import { QUOTED_LENGTH, quoteAnswer } from './log.ts';

/** The error's class and message, redacted as a span's texts are, on one line, cut; never throws. */
export function quoteThrown(error: unknown): string {
  let words: string;
  try {
    // A plain object (a driver's `{ code, detail }`) as JSON, not "[object Object]"; cut before it is redacted.
    words = error instanceof Error ? `${error.name}: ${error.message}` : typeof error === 'object' && error !== null ? JSON.stringify(error)?.slice(0, 4 * QUOTED_LENGTH) ?? String(error) : String(error);
  } catch {
    words = 'an error that cannot be read';
  }
  return quoteAnswer(redactText(words.slice(0, 4 * QUOTED_LENGTH)));
}
