// The program of the child process final-send.ts starts when the app is exiting: reads the batches
// from stdin as they arrive and POSTs them, the first as soon as it is in (the request counts come
// first), a few at a time, until they are all sent or the deadline passes; then reports what did
// not get through. The parent is blocked meanwhile, which is the point: nothing of the app runs
// after it chose to exit. It is one self-contained function (globals only) because the child runs
// its source text with `bun -e`: so it works from a `bun build --compile` binary too, where no
// file of ours is on disk.

/** The first line on stdin. */
export interface FinalSendHeader {
  url: string;
  /** Ms the whole send may take, counted from the spawn. */
  budgetMs: number;
  /** When the parent spawned this process: performance.timeOrigin + performance.now() there. */
  spawnedAt: number;
  /** Sends at once: the first batches, the request counts, start first and in order. */
  concurrency: number;
  /** Of them, detail batches at once. */
  detailConcurrency: number;
  /** An empty batch's JSON (no id, dropped all zero): filled in and sent to report what did not get through. */
  report: string;
  /** A trace collector's answers tried again (core/retry-policy.ts's, which this child's source cannot import). */
  collectorRetryable: number[];
}

/** A line before each batch's body (`bytes` raw gzip bytes follow it). */
export interface FinalSendRecord {
  bytes: number;
  /**
   * A trace exporter's request, not an edge batch: its index in BUNAPM_FINAL_SEND_EXPORTS (the distinct
   * URLs and headers, each once, in the environment since they may hold credentials). Sent at once, beside the edge's.
   */
  target?: number;
  /** Spans an exporter's request carries. */
  spans?: number;
  /** Sent only if the latest accepted answer before it lists this addition. */
  ifAccepted?: string;
  /** The counts and records lost with it (contents, dropped counters carried), reported if it does not get through. */
  lost?: Record<string, number>;
  /** Detail only: started only with time left for it and the report after it. */
  detail?: boolean;
}

/** What the child writes on stdout, as JSON. */
export interface FinalSendResult {
  sent: number;
  /** Batches read. */
  read: number;
  /** What did not get through: failed, or never sent (reported, when `reported`). */
  lost: Record<string, number>;
  /** The report of it was accepted. */
  reported: boolean;
  /** What batches still awaited when the report went hold: not reported lost (they may arrive), said in the log. */
  unanswered: Record<string, number>;
  /** Answers the edge gave (any status). */
  answers?: number;
  /** The latest status of an answer that refused a batch (not 2xx, or a 2xx not the edge's), for the log line: "the edge refused them: HTTP 401". */
  refusedStatus?: number;
  /** The trace exporters' spans: accepted (2xx), refused or failed, and awaited at the deadline (they may have arrived). */
  exported?: ExportedSpans;
}

export interface ExportedSpans {
  sent: number;
  failed: number;
  unanswered: number;
  /** Never sent (set by the parent): no time left to read or start them, or their target could not be handed over (`why`). */
  unsent?: number;
  /** Why spans were not handed to the child at all, when that is the case. */
  why?: string;
  /** The latest status a backend refused a request with. */
  refusedStatus?: number;
}

/** `readAnswer`: read-answer.ts's, passed in as source text too (the child imports nothing). */
export async function finalSendChild(readAnswer: (response: Response) => Promise<string>): Promise<void> {
  const stdin = Bun.stdin.stream().getReader();
  const held: Uint8Array[] = [];
  let heldBytes = 0;
  const more = async (): Promise<boolean> => {
    const { done, value } = await stdin.read();
    if (done) return false;
    held.push(value);
    heldBytes += value.byteLength;
    return true;
  };
  const take = (n: number): Uint8Array<ArrayBuffer> => {
    const out = new Uint8Array(n);
    for (let at = 0; at < n; ) {
      const first = held[0]!;
      const k = Math.min(first.byteLength, n - at);
      out.set(first.subarray(0, k), at);
      at += k;
      if (k === first.byteLength) held.shift();
      else held[0] = first.subarray(k);
    }
    heldBytes -= n;
    return out;
  };
  const line = async (): Promise<string | undefined> => {
    for (;;) {
      let before = 0;
      for (const chunk of held) {
        const end = chunk.indexOf(10);
        if (end >= 0) return new TextDecoder().decode(take(before + end + 1).subarray(0, -1));
        before += chunk.byteLength;
      }
      if (!(await more())) return undefined;
    }
  };
  const first = await line();
  if (first === undefined) return void process.stdout.write(JSON.stringify({ sent: 0, read: 0, lost: {}, reported: false, unanswered: {} } satisfies FinalSendResult));
  const header = JSON.parse(first) as FinalSendHeader;
  // In the environment, not on stdin: the input file never holds the ingest key.
  const headers = JSON.parse(process.env.BUNAPM_FINAL_SEND_HEADERS ?? '{}') as Record<string, string>;
  const exportTargets = JSON.parse(process.env.BUNAPM_FINAL_SEND_EXPORTS ?? '[]') as Array<{ url: string; headers: Record<string, string> }>;
  // The budget counts from the spawn: this process's start by its own clock (the app's may be faked
  // or stepped), less the time before it (from the wall clock both read, within bounds for a step).
  const startup = Math.min(Math.max(0, performance.timeOrigin - header.spawnedAt), 500);
  const begun = Date.now() - performance.now() - startup;
  const deadline = begun + header.budgetMs;

  interface Item {
    record: FinalSendRecord;
    body: Uint8Array<ArrayBuffer>;
    state: 'waiting' | 'sending' | 'sent' | 'failed' | 'skipped';
  }
  const items: Item[] = [];
  const exported: ExportedSpans = { sent: 0, failed: 0, unanswered: 0 };
  let exportsInFlight = 0;
  let exportSpans = 0;
  /**
   * A trace exporter's request, until the deadline. A refusal a backend means for a moment (the
   * answers the exporters retry) or a connection that failed is tried again while the wait it asks (Retry-After,
   * else 200 ms, doubling) leaves time for the answer: the end at beforeExit is this send now, and
   * the exporters' own retry had covered a 503 there (a review).
   */
  const collectorRetryable = new Set(header.collectorRetryable);
  const postExport = async (record: FinalSendRecord, body: Uint8Array<ArrayBuffer>): Promise<void> => {
    const spans = record.spans ?? 0;
    exportSpans += spans;
    const target = exportTargets[record.target!];
    if (target === undefined || left() <= 25) return void (exported.failed += spans);
    exportsInFlight++;
    try {
      for (let attempt = 0; ; attempt++) {
        let wait: number;
        try {
          const response = await fetch(target.url, { method: 'POST', headers: target.headers, body, signal: AbortSignal.timeout(Math.max(1, left() - 25)), redirect: 'manual' });
          if (response.ok) return void (exported.sent += spans);
          exported.refusedStatus = response.status;
          if (!collectorRetryable.has(response.status)) return void (exported.failed += spans);
          // In seconds; none (Number(null) is 0) or a date: the backoff.
          const retryAfter = response.headers.get('retry-after');
          const asked = retryAfter === null || retryAfter.trim() === '' ? Number.NaN : Number(retryAfter);
          wait = Number.isFinite(asked) && asked >= 0 ? asked * 1000 : 200 * 2 ** attempt;
        } catch (error) {
          // Out of time: the backend may have it (counted as unanswered at the end).
          if ((error as Error)?.name === 'TimeoutError') return;
          wait = 200 * 2 ** attempt;
        }
        if (attempt >= 2 || wait > left() - 300) return void (exported.failed += spans);
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    } finally {
      exportsInFlight--;
    }
  };
  let reading = true;
  void (async () => {
    try {
      for (let text = await line(); text !== undefined && text !== ''; text = await line()) {
        const record = JSON.parse(text) as FinalSendRecord;
        while (heldBytes < record.bytes) if (!(await more())) return;
        if (record.target !== undefined) void postExport(record, take(record.bytes));
        else items.push({ record, body: take(record.bytes), state: 'waiting' });
      }
    } finally {
      reading = false;
    }
  })();

  /** What the edge's answers say it takes (an older edge would refuse the whole batch). */
  const accepted = new Set<unknown>();
  let answers = 0;
  let refusedStatus: number | undefined;
  let slowest = 0;
  /** The requests in flight, with when each started. */
  const inFlight = new Set<{ started: number }>();
  let detailInFlight = 0;
  let stopped = false;
  let next = 0;
  const left = () => deadline - Date.now();
  /**
   * Time one more request takes: the slowest answer yet, or the oldest still awaited, and a margin;
   * twice that before any answer came (the wait so far is only the least it takes).
   */
  const roundTrip = () => {
    let longest = slowest;
    for (const { started } of inFlight) longest = Math.max(longest, Date.now() - started);
    return Math.max(100, longest) * (answers > 0 ? 1.2 : 2) + 50;
  };

  /** 'unanswered': cut off at the deadline, so it may have arrived (it is never reported as dropped). */
  const post = async (body: Uint8Array<ArrayBuffer>): Promise<'sent' | 'failed' | 'unanswered'> => {
    const request = { started: Date.now() };
    const { started } = request;
    inFlight.add(request);
    try {
      const response = await fetch(header.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(Math.max(1, left() - 25)), redirect: 'manual' });
      const text = await readAnswer(response);
      answers++;
      slowest = Math.max(slowest, Date.now() - started);
      if (!response.ok) {
        refusedStatus = response.status;
        return 'failed';
      }
      // The edge answers with a JSON object; a proxy's page or an app's catch-all did not take the
      // batch. Each accepted answer says afresh what the edge takes. (isEdgeAnswer and answerOf in
      // edge-sender read the same, but this function runs alone in a child: no imports.)
      let answer: unknown;
      try {
        answer = JSON.parse(text);
      } catch {
        answer = undefined;
      }
      if (typeof answer !== 'object' || answer === null || Array.isArray(answer)) {
        refusedStatus = response.status;
        return 'failed';
      }
      accepted.clear();
      const accepts = (answer as { accepts?: unknown }).accepts;
      if (Array.isArray(accepts)) for (const name of accepts) accepted.add(name);
      return 'sent';
    } catch (error) {
      // Out of time: the edge may have it. Anything else (refused, reset) did not get through.
      return (error as Error)?.name === 'TimeoutError' ? 'unanswered' : 'failed';
    } finally {
      inFlight.delete(request);
    }
  };

  const worker = async (): Promise<void> => {
    while (!stopped) {
      if (next >= items.length) {
        if (!reading) return;
        await Bun.sleep(1);
        continue;
      }
      const item = items[next++]!;
      const { ifAccepted, detail } = item.record;
      if (ifAccepted !== undefined) {
        // The latest answer decides: one at least, or none to come.
        while (answers === 0 && inFlight.size > 0 && left() > 50) await Bun.sleep(2);
        if (!accepted.has(ifAccepted)) {
          item.state = 'skipped';
          continue;
        }
      }
      while (detail && detailInFlight >= header.detailConcurrency && !stopped) await Bun.sleep(1);
      // Detail goes only with time for its answer and for the report after it.
      if (stopped || left() <= (detail ? 2 * roundTrip() : 50)) {
        stopped = true;
        return;
      }
      item.state = 'sending';
      if (detail) detailInFlight++;
      const outcome = await post(item.body);
      item.state = outcome === 'unanswered' ? 'sending' : outcome;
      if (detail) detailInFlight--;
    }
  };
  const workers = Promise.all(Array.from({ length: Math.max(1, header.concurrency) }, worker));
  // Until every batch went, or there is just time left for the report: it then goes while the last
  // ones are still awaited, and reports what failed or never started; those awaited may yet arrive,
  // so none is reported, counts or detail (reported lost and then received, it was counted twice).
  // With everything sent and nothing failed there is no report to make room for: the answers are
  // awaited up to the deadline (an edge answering in 800 ms had been left at 0.7 s, before any
  // answer, to keep time for a report with nothing in it).
  const reportDue = () => reading || items.some((item) => item.state === 'waiting' || item.state === 'failed');
  for (let done = false; !done && left() > (reportDue() ? roundTrip() : 25); ) done = await Promise.race([workers.then(() => true), Bun.sleep(10).then(() => false)]);
  stopped = true;
  // What is still coming on stdin is reported too (it is read at memory speed).
  while (reading && left() > roundTrip()) await Bun.sleep(1);

  const lost: Record<string, number> = {};
  for (const item of items) {
    // A batch still awaited may arrive: not reported (a review saw detail reported dropped, then
    // received, whenever the report had to go before the answers), as the counts never were.
    if (item.state === 'sent' || item.state === 'skipped' || item.state === 'sending') continue;
    for (const [name, n] of Object.entries(item.record.lost ?? {})) if (name !== 'parentTraces' && n > 0) lost[name] = (lost[name] ?? 0) + n;
  }
  let reported = false;
  if (Object.keys(lost).length > 0 && header.report !== '' && left() > 50) {
    // The report is a batch of its own: an id of its own, dropped counters only (v1, no addition).
    const batch = JSON.parse(header.report) as { batchId: string; dropped: Record<string, number> };
    batch.batchId = crypto.randomUUID().replaceAll('-', '');
    for (const name of ['rollups', 'samples', 'spans', 'profiles', 'requests']) batch.dropped[name] = lost[name] ?? 0;
    reported = (await post(Bun.gzipSync(JSON.stringify(batch)) as Uint8Array<ArrayBuffer>)) === 'sent';
  }
  // The trace exporters' requests, to other backends, went beside the edge's: awaited up to the deadline.
  while (exportsInFlight > 0 && left() > 25) await Bun.sleep(5);
  // Of the records read: those never read by now are counted by the parent, which knows what it gave.
  exported.unanswered = exportSpans - exported.sent - exported.failed;
  const sent = items.filter((item) => item.state === 'sent').length;
  const unanswered: Record<string, number> = {};
  for (const item of items) {
    if (item.state !== 'sending') continue;
    for (const [name, n] of Object.entries(item.record.lost ?? {})) if (name !== 'parentTraces' && n > 0) unanswered[name] = (unanswered[name] ?? 0) + n;
  }
  process.stdout.write(JSON.stringify({ sent, read: items.length, lost, reported, unanswered, answers, refusedStatus, exported } satisfies FinalSendResult));
  // In-flight sends past the deadline are not waited for.
  process.exit(0);
}
