// An edge's or exporter's answer, read at most 64 KiB deep: a huge or endless one must not land in
// the app's heap or eat the final flush's budget. Self-contained (globals only): the final send's
// child process gets its source text too (final-send.ts).

/** The answer as text, or '' past 64 KiB (the rest cancelled). */
export async function readAnswer(response: Response): Promise<string> {
  const reader = response.body?.getReader();
  const chunks: Uint8Array[] = [];
  for (let size = 0; reader; ) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    if ((size += value.byteLength) > 65_536) {
      reader.cancel().catch(() => {});
      return '';
    }
  }
  return Buffer.concat(chunks).toString();
}
