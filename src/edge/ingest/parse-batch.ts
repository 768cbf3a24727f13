// From body bytes to a valid batch, or a 4xx that says what is wrong and where.
import { BATCH_DEPTH, formatProblem, validateBatch } from '../../core/validate-batch.ts';
import type { Batch } from '../../core/wire-format.ts';
import { HttpError } from '../http/errors.ts';
import { jsonExtentProblem, type JsonExtentLimits } from '../http/json-extent.ts';

const MAX_PROBLEMS = 20;
const PROBLEMS_IN_MESSAGE = 5;

/**
 * What a body may hold before it is parsed. The wire format's lists at their limits, spans with 64
 * tags and no logs, hold ~920,000 values and ~46,000 containers; a preload's batch at full detail
 * ~25,000 and ~2,000. At these caps the parse's worst case (all tiny strings, or all empty
 * objects) stays near 50 MB, where 19 MiB of `{},` had made ~300 MB.
 */
export const JSON_EXTENT: JsonExtentLimits = { maxValues: 2_000_000, maxContainers: 500_000, maxDepth: BATCH_DEPTH };

export function parseBatch(bytes: Uint8Array, options: { now: number; maxAgeMs: number }): Batch {
  refuseCostlyJson(bytes);
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

/** Refuses, before decoding or parsing, a body that holds more than a batch can or nests deeper. */
function refuseCostlyJson(bytes: Uint8Array): void {
  const problem = jsonExtentProblem(bytes, JSON_EXTENT);
  if (problem === undefined) return;
  const at = problem.path === '' ? 'at the top' : `at ${problem.path}`;
  if (problem.limit === 'maxDepth') {
    const message = `expected arrays and objects nested at most ${JSON_EXTENT.maxDepth} deep (the wire format's deepest), got deeper`;
    throw new HttpError(422, 'invalid_batch', `the batch does not match wire format v1: ${problem.path === '' ? '' : `${problem.path}: `}${message}`, {}, { problems: [{ path: problem.path, message }] });
  }
  // 413, as for a body past the byte cap: a client cuts its batch in two and sends the halves.
  const what = problem.limit === 'maxValues' ? `${JSON_EXTENT.maxValues} values (array items and object members)` : `${JSON_EXTENT.maxContainers} arrays and objects`;
  throw new HttpError(413, 'too_many_values', `the body holds more than ${what}, past the cap ${at}: send it in smaller batches (the preload's hold far fewer)`);
}
