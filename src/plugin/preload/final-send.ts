// The last flush of a process that is exiting. In an `exit` listener (process.exit(), or the end
// of the event loop) no asynchronous work can run any more, so the batches go out through a short
// child process that the exiting process waits for, synchronously, for at most the budget.
import { ingestHeaders, ingestUrl, type EdgeTarget } from '../runtime/edge-sender.ts';
import { readAnswer } from '../runtime/read-answer.ts';
import { finalSendChild } from './final-send-child.ts';

/** The child's program as source text: `bun -e` runs it, and a compiled binary is bun with BUN_BE_BUN. */
const CHILD_SCRIPT = `await (${finalSendChild.toString()})(${readAnswer.toString()});`;

export interface FinalBatch {
  /** The gzip'd batch. */
  body: Uint8Array;
  /** Sent only if the latest accepted (2xx) answer before it lists this wire addition in `accepts`. */
  ifAccepted?: string;
}

/**
 * Sends the batches in order and returns how many the edge accepted within `budgetMs`.
 *
 * @example
 * process.on('exit', () => sendSync(target, batcher.sealAll(), 2000));
 */
export function sendSync(target: EdgeTarget, batches: readonly FinalBatch[], budgetMs: number): number {
  if (batches.length === 0) return 0;
  const started = Date.now();
  const input = JSON.stringify({
    url: ingestUrl(target.endpoint),
    headers: ingestHeaders(target),
    batches: batches.map(({ body, ifAccepted }) => ({ body: Buffer.from(body).toString('base64'), ifAccepted })),
    deadline: started + budgetMs,
  });
  const result = Bun.spawnSync({
    cmd: [process.execPath, '-e', CHILD_SCRIPT],
    // The child must never load the preload itself (the app's bunfig.toml preload or BUN_OPTIONS would).
    // node:os only now, at exit: loaded earlier it would stay in the app's heap for the whole run.
    cwd: (require('node:os') as typeof import('node:os')).tmpdir(),
    env: { ...process.env, BUN_APM_DISABLED: '1', BUN_OPTIONS: '', BUN_BE_BUN: '1' },
    stdin: new TextEncoder().encode(input),
    stdout: 'pipe',
    stderr: 'ignore',
    timeout: budgetMs,
  });
  const sent = Number(result.stdout?.toString() ?? '0');
  return Number.isFinite(sent) ? sent : 0;
}
