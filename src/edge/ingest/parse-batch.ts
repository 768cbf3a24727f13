// From body bytes to a valid batch, or a 4xx that says what is wrong and where.
import { formatProblem, validateBatch } from '../../core/validate-batch.ts';
import type { Batch } from '../../core/wire-format.ts';
import { HttpError } from '../http/errors.ts';

const MAX_PROBLEMS = 20;
const PROBLEMS_IN_MESSAGE = 5;

export function parseBatch(bytes: Uint8Array, options: { now: number; maxAgeMs: number }): Batch {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new HttpError(400, 'invalid_utf8', 'the body is not valid UTF-8');
  }
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch (error) {
    throw new HttpError(400, 'invalid_json', `the body is not valid JSON: ${(error as Error).message.slice(0, 200)}`);
  }
  const result = validateBatch(input, { now: options.now, maxAgeMs: options.maxAgeMs, maxProblems: MAX_PROBLEMS });
  if (!result.ok) {
    const shown = result.problems.slice(0, PROBLEMS_IN_MESSAGE).map(formatProblem).join('; ');
    const more = result.problems.length > PROBLEMS_IN_MESSAGE ? ` (and ${result.problems.length - PROBLEMS_IN_MESSAGE} more)` : '';
    throw new HttpError(422, 'invalid_batch', `the batch does not match wire format v1: ${shown}${more}`, {}, { problems: result.problems });
  }
  return result.batch;
}
