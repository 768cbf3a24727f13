// The program of the child process final-send.ts starts when the app is exiting: reads the batches
// from stdin and POSTs them, oldest first, until they are all sent or the deadline passes. The
// parent is blocked meanwhile, which is the point: nothing of the app runs after it chose to exit.
// It is one self-contained function (globals only) because the child runs its source text with
// `bun -e`: so it works from a `bun build --compile` binary too, where no file of ours is on disk.
interface FinalSendInput {
  url: string;
  headers: Record<string, string>;
  /** Base64 gzip bodies; one with `ifAccepted` is sent only if the latest accepted answer before it lists that addition. */
  batches: Array<{ body: string; ifAccepted?: string }>;
  deadline: number;
}

/** `readAnswer`: read-answer.ts's, passed in as source text too (the child imports nothing). */
export async function finalSendChild(readAnswer: (response: Response) => Promise<string>): Promise<void> {
  const input = JSON.parse(await Bun.stdin.text()) as FinalSendInput;
  /** What the edge's answers say it takes (an older edge would refuse the whole batch). */
  const accepted = new Set<unknown>();
  let sent = 0;
  for (const batch of input.batches) {
    if (batch.ifAccepted !== undefined && !accepted.has(batch.ifAccepted)) continue;
    const left = input.deadline - Date.now();
    if (left <= 50) break;
    try {
      const response = await fetch(input.url, {
        method: 'POST',
        headers: input.headers,
        body: Buffer.from(batch.body, 'base64'),
        signal: AbortSignal.timeout(left - 25),
        redirect: 'manual',
      });
      const text = await readAnswer(response);
      if (!response.ok) continue;
      sent++;
      // Each accepted answer says afresh what the edge takes; one that is not JSON says nothing.
      // (answerOf in edge-sender reads the same, but this function runs alone in a child: no imports.)
      accepted.clear();
      try {
        const answer = JSON.parse(text) as { accepts?: unknown };
        if (Array.isArray(answer.accepts)) for (const name of answer.accepts) accepted.add(name);
      } catch {
        // not JSON: nothing is taken for granted
      }
    } catch {
      break; // unreachable or out of time: what is left is lost, as the parent already counted on
    }
  }
  process.stdout.write(String(sent));
}
