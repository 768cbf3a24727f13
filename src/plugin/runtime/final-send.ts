// The last flush of a process that is exiting. In an `exit` listener (process.exit(), or the end
// of the event loop) no asynchronous work can run any more, so the batches go out through a short
// child process that the exiting process waits for, synchronously, until the deadline. They go on
// its stdin as a stream of records (a line of JSON, then the raw gzip body), which the child reads
// as they come: the first batch (the request counts) is on its way before the rest is read.
import { COLLECTOR_RETRYABLE } from '../../core/retry-policy.ts';
import type { DroppedCounters } from '../../core/wire-format.ts';
import { ingestHeaders, ingestUrl, type EdgeTarget } from './edge-sender.ts';
import { readAnswer } from './read-answer.ts';
import type { ExitRequest } from './exporters/span-exporter.ts';
import { finalSendChild, type ExportedSpans, type FinalSendHeader, type FinalSendRecord, type FinalSendResult } from './final-send-child.ts';

/** The child's program as source text: `bun -e` runs it, and a compiled binary is bun with BUN_BE_BUN. */
const CHILD_SCRIPT = `await (${finalSendChild.toString()})(${readAnswer.toString()});`;

/**
 * Batches in flight at once, and detail batches among them. The request counts' batches start
 * first, in order, all at once as a rule (as many as the edge's maxRollups cap made); detail then
 * goes a few at a time: against an edge answering in 500 or 800 ms, 1, 3 and 4 at once got 1, 3
 * and 4 detail batches through in the budget.
 */
const CONCURRENCY = 8;
const DETAIL_CONCURRENCY = 3;
/**
 * The exporters' URLs and headers handed to the child, JSON bytes at most: they go in one environment
 * variable, and Linux refuses a spawn with one past 128 KiB (E2BIG). Each distinct target goes once; a
 * target past the bound is left out and its spans counted as not delivered.
 */
export const MAX_EXPORT_TARGETS_BYTES = 64 * 1024;

export interface FinalBatch {
  /** The gzip'd batch. */
  body: Uint8Array;
  /** Sent only if the latest accepted (2xx) answer before it lists this wire addition in `accepts`. */
  ifAccepted?: string;
  /** Records and counts it holds (and dropped counters it carries): reported as dropped if it does not get through. */
  lost?: Partial<DroppedCounters>;
  /** Holds detail only: started only with time left for its answer and the report after it. */
  detail?: boolean;
}

export interface FinalOutcome {
  /** Batches the edge accepted. */
  sent: number;
  /** What did not get through (or may not have: unanswered at the deadline). */
  lost: Partial<DroppedCounters>;
  /** The edge accepted the batch reporting `lost` as dropped. */
  reported: boolean;
  /** What batches still awaited when the report went hold (not reported lost: they may arrive). */
  unanswered: Partial<DroppedCounters>;
  /** The edge answered at least once (whatever the status). */
  answered: boolean;
  /** The latest status the edge refused a batch with (401, 404, 500, a redirect), when one did. */
  refusedStatus?: number;
  /** The trace exporters' spans given (`exports`): sent, failed, and unanswered by the deadline. */
  exported: ExportedSpans;
}

export interface FinalSendOptions {
  /** When the send must be over, in this process's performance.now() (the app's clock may be faked or stepped). */
  deadline: number;
  /** An empty batch's JSON (PendingData.sealAll's `report`): what does not get through is reported in it. */
  report?: string;
  /** The trace exporters' requests, sent beside the edge's batches, once each, within the same deadline. */
  exports?: readonly ExitRequest[];
}

/**
 * Sends the batches, the first ones first, and the trace exporters' requests beside them; returns what
 * the edge (and the exporters' backends) accepted by the deadline. `target` undefined: exports only.
 *
 * @example
 * process.on('exit', () => {
 *   const deadline = performance.now() + 2000;
 *   const { batches, report } = batcher.sealAll(300);
 *   sendSync(target, batches, { deadline, report });
 * });
 */
export function sendSync(target: EdgeTarget | undefined, edgeBatches: readonly FinalBatch[], options: FinalSendOptions): FinalOutcome {
  const batches = target === undefined ? [] : edgeBatches;
  const exports = options.exports ?? [];
  const exportSpans = exports.reduce((sum, request) => sum + request.spans, 0);
  if (batches.length === 0 && exports.length === 0) return nothingSent();
  let outcome: FinalOutcome;
  try {
    outcome = spawnChild(target, batches, exports, options);
  } catch (error) {
    // The edge's request counts come first: whatever the exporters' part did to the spawn (E2BIG), the edge's batches go again alone.
    if (exports.length === 0 || batches.length === 0) throw error;
    outcome = spawnChild(target, batches, [], options);
    return { ...outcome, exported: { sent: 0, failed: 0, unanswered: 0, unsent: exportSpans, why: `the exit's child could not start with them (${(error as Error).message})` } };
  }
  // Every span given and not confirmed counted: records the child never read (out of time) were in none of its counts.
  const { sent, failed, unanswered } = outcome.exported;
  const unsent = exportSpans - sent - failed - unanswered; // those left out (a target too large) among them
  if (unsent > 0) outcome.exported = { ...outcome.exported, unsent };
  return outcome;
}

/** Each distinct URL and headers once, as JSON, those within MAX_EXPORT_TARGETS_BYTES; each request's index into them (-1: left out). */
function exportTargets(exports: readonly ExitRequest[]): { targets: string[]; index: number[] } {
  const targets: string[] = [];
  let bytes = 2;
  const index = exports.map(({ url, headers }) => {
    const json = JSON.stringify({ url, headers });
    const known = targets.indexOf(json);
    if (known >= 0 || bytes + json.length + 1 > MAX_EXPORT_TARGETS_BYTES) return known;
    bytes += json.length + 1;
    return targets.push(json) - 1;
  });
  return { targets, index };
}

/** The outcome of a final send that sent nothing. */
function nothingSent(): FinalOutcome {
  return { sent: 0, lost: {}, reported: false, unanswered: {}, answered: false, exported: { sent: 0, failed: 0, unanswered: 0 } };
}

function spawnChild(target: EdgeTarget | undefined, batches: readonly FinalBatch[], exports: readonly ExitRequest[], options: FinalSendOptions): FinalOutcome {
  const exportSpans = exports.reduce((sum, request) => sum + request.spans, 0);
  const { targets, index } = exportTargets(exports);
  const leftOut = exports.reduce((sum, request, i) => sum + (index[i]! < 0 ? request.spans : 0), 0);
  const encoder = new TextEncoder();
  const parts: Uint8Array[] = [];
  const at = performance.now();
  const header: FinalSendHeader = {
    url: target === undefined ? '' : ingestUrl(target.endpoint),
    budgetMs: Math.max(0, Math.floor(options.deadline - at)),
    spawnedAt: performance.timeOrigin + at,
    concurrency: CONCURRENCY,
    detailConcurrency: DETAIL_CONCURRENCY,
    report: options.report ?? '',
    collectorRetryable: [...COLLECTOR_RETRYABLE],
  };
  parts.push(encoder.encode(`${JSON.stringify(header)}\n`));
  for (const { body, ifAccepted, lost, detail } of batches) {
    const record: FinalSendRecord = { bytes: body.byteLength, ifAccepted, lost: lost as Record<string, number> | undefined, detail };
    parts.push(encoder.encode(`${JSON.stringify(record)}\n`), body);
  }
  // After the edge's batches (the request counts' first): read at memory speed, they start a moment later.
  exports.forEach(({ body, spans }, i) => {
    const target = index[i]!;
    if (target < 0) return;
    const record: FinalSendRecord = { bytes: body.byteLength, target, spans };
    parts.push(encoder.encode(`${JSON.stringify(record)}\n`), body);
  });
  // node:os and node:fs only now, at exit: loaded earlier they would stay in the app's heap for the whole run.
  const { tmpdir } = require('node:os') as typeof import('node:os');
  const fs = require('node:fs') as typeof import('node:fs');
  // Written part by part: one buffer of them all had copied every request's body once more (big
  // spans queued at exit: 176 MB more in the exiting process). Joined only for the pipe, without a file.
  const stdin = inputFile(fs, tmpdir(), parts);
  const spawn = (cwd: string) =>
    Bun.spawnSync({
      cmd: [process.execPath, '-e', CHILD_SCRIPT],
      cwd,
      // The headers (the ingest key) in the environment, which the child has from this process anyway, never in the input file.
      env: {
        ...process.env,
        BUN_APM_DISABLED: '1',
        BUN_OPTIONS: '',
        BUN_BE_BUN: '1',
        BUNAPM_FINAL_SEND_HEADERS: JSON.stringify(target === undefined ? {} : ingestHeaders(target)),
        BUNAPM_FINAL_SEND_EXPORTS: `[${targets.join(',')}]`,
      },
      stdin: stdin ?? Buffer.concat(parts),
      stdout: 'pipe',
      stderr: 'ignore',
      // The child ends its own sends by the deadline; this is for one that hangs.
      timeout: Math.max(1, Math.ceil(options.deadline - performance.now())) + 250,
    });
  let result: ReturnType<typeof spawn>;
  // The child must never load the preload itself (the app's bunfig.toml preload or BUN_OPTIONS would):
  // it runs where no bunfig.toml is, the temporary directory, or `/` when that does not exist
  // (TMPDIR naming a directory never created: the spawn fails, and everything pending was lost).
  try {
    try {
      result = spawn(tmpdir());
    } catch {
      result = spawn('/');
    }
  } finally {
    if (stdin !== undefined) fs.closeSync(stdin);
  }
  const tooBig = leftOut > 0 ? { unsent: leftOut, why: `their URL and headers pass the exit's child's ${MAX_EXPORT_TARGETS_BYTES / 1024} KiB` } : {};
  try {
    const outcome = JSON.parse(result.stdout?.toString() ?? '') as FinalSendResult;
    return {
      sent: outcome.sent,
      lost: outcome.lost,
      reported: outcome.reported,
      unanswered: outcome.unanswered ?? {},
      answered: (outcome.answers ?? 0) > 0,
      refusedStatus: outcome.refusedStatus,
      exported: { ...(outcome.exported ?? { sent: 0, failed: 0, unanswered: exportSpans - leftOut }), ...tooBig },
    };
  } catch {
    // The child said nothing (killed at the deadline on a machine too loaded to start it in time):
    // what it was given may or may not have arrived, and is said so, not taken as nothing to say.
    const unknown: Record<string, number> = {};
    for (const { lost } of batches) for (const [name, n] of Object.entries(lost ?? {})) if (name !== 'parentTraces' && n! > 0) unknown[name] = (unknown[name] ?? 0) + n!;
    return { ...nothingSent(), unanswered: unknown, exported: { sent: 0, failed: 0, unanswered: exportSpans - leftOut, ...tooBig } };
  }
}

/**
 * The input as a file the child reads as its stdin, unlinked at once:
 * a pipe fed from a buffer of megabytes held the child's start back by 0.3-0.7 s (15 MB, a
 * loaded 2-core machine; 50-90 ms from a file). Undefined when no file can be made there: the pipe then.
 */
function inputFile(fs: typeof import('node:fs'), dir: string, parts: readonly Uint8Array[]): number | undefined {
  const path = `${dir}/bun-apm-final-${process.pid}-${crypto.randomUUID()}`;
  try {
    const write = fs.openSync(path, 'wx', 0o600);
    try {
      for (const part of parts) for (let at = 0; at < part.byteLength; ) at += fs.writeSync(write, part, at);
      return fs.openSync(path, 'r');
    } finally {
      fs.closeSync(write);
      fs.unlinkSync(path);
    }
  } catch {
    return undefined;
  }
}
