// The program of the child process final-send.ts starts when the app is exiting: reads the batches
// from stdin and POSTs them, oldest first, until they are all sent or the deadline passes. The
// parent is blocked meanwhile, which is the point: nothing of the app runs after it chose to exit.
// It is one self-contained function (globals only) because the child runs its source text with
// `bun -e`: so it works from a `bun build --compile` binary too, where no file of ours is on disk.
interface FinalSendInput {
  url: string;
  headers: Record<string, string>;
  /** Base64 gzip bodies. */
  bodies: string[];
  deadline: number;
}

export async function finalSendChild(): Promise<void> {
  const input = JSON.parse(await Bun.stdin.text()) as FinalSendInput;
  let sent = 0;
  for (const body of input.bodies) {
    const left = input.deadline - Date.now();
    if (left <= 50) break;
    try {
      const response = await fetch(input.url, {
        method: 'POST',
        headers: input.headers,
        body: Buffer.from(body, 'base64'),
        signal: AbortSignal.timeout(left - 25),
        redirect: 'manual',
      });
      await response.arrayBuffer();
      if (response.ok) sent++;
    } catch {
      break; // unreachable or out of time: what is left is lost, as the parent already counted on
    }
  }
  process.stdout.write(String(sent));
}
