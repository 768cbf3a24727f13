// Sends a fixed mix of requests to an app with bounded concurrency and checks each answer.

export interface Probe {
  method: string;
  path: string;
  /** What the client must get back (with or without the preload). */
  status: number;
  /** The rollup key it must be counted under: `GET /users/:id`. */
  key: string;
  /** Its handler throws (an error handler answers): counted under the status answered, and as an error. */
  thrown?: boolean;
  body?: string;
  /** The Content-Type the client must get, where the app's answer has one plain Bun sets. */
  contentType?: string;
}

/** Sends `total` requests cycling through `probes`; returns how many were sent per probe index. */
export async function drive(baseUrl: string, probes: Probe[], total: number, concurrency = 16): Promise<number[]> {
  const sent = probes.map(() => 0);
  let next = 0;
  const failures: string[] = [];
  const worker = async () => {
    while (next < total) {
      const index = next++ % probes.length;
      const probe = probes[index]!;
      const response = await fetch(`${baseUrl}${probe.path}`, {
        method: probe.method,
        body: probe.body,
        headers: probe.body ? { 'content-type': 'application/json' } : undefined,
      });
      await response.arrayBuffer();
      sent[index]!++;
      if (response.status !== probe.status) failures.push(`${probe.method} ${probe.path}: ${response.status}, expected ${probe.status}`);
      const type = response.headers.get('content-type');
      if (probe.contentType !== undefined && type !== probe.contentType) failures.push(`${probe.method} ${probe.path}: content-type ${type}, expected ${probe.contentType}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  if (failures.length > 0) throw new Error(`unexpected answers:\n${[...new Set(failures)].join('\n')}`);
  return sent;
}
