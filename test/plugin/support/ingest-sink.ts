// A real ingest endpoint for tests: a Bun server on 127.0.0.1 that checks the key, gunzips,
// validates with the core validator and stores each batch id once, as the edge does. Tests can
// script its answers (e.g. 503, 503, then 202) and stop and restart it on the same port.
import { formatProblem, validateBatch } from '../../../src/core/validate-batch.ts';
import type { Batch } from '../../../src/core/wire-format.ts';

export interface Attempt {
  batchId: string | undefined;
  status: number;
  authorization: string | null;
  contentEncoding: string | null;
  /** The X-Bun-Apm-Instance header of a batch that validated. */
  instanceHeader?: string | null;
}

export class IngestSink {
  /** Every POST, in order, with the status it got. */
  readonly attempts: Attempt[] = [];
  /** Batches stored, by id (each at most once). */
  readonly stored = new Map<string, Batch>();
  /** Validation failures: a correct client produces none. */
  readonly problems: string[] = [];
  /** Statuses to answer before accepting, consumed one per POST (e.g. [503, 503]). */
  scripted: number[] = [];
  /**
   * Wire additions named in the answers (`accepts`), as an edge that takes them does. Unset, the sink
   * is an older edge: it names none and refuses a batch carrying one (422), as strict validation would.
   */
  accepts: string[] | undefined;
  /** A problem to refuse a batch with (422), as an edge stricter than the client would: none by default. */
  refuse: ((batch: Batch) => { path: string; message: string } | undefined) | undefined;
  /** Batches refused for carrying an addition the sink had not named. */
  refusedAdditions = 0;
  #server: ReturnType<typeof Bun.serve> | undefined;
  port = 0;

  constructor(readonly ingestKey = 'test-ingest-key') {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  start(port = this.port): this {
    this.#server = Bun.serve({ hostname: '127.0.0.1', port, fetch: (request) => this.#handle(request) });
    this.port = this.#server.port!;
    return this;
  }

  /** Stops listening: connections are refused until start() again. */
  async stop(): Promise<void> {
    await this.#server?.stop(true);
    this.#server = undefined;
  }

  get batches(): Batch[] {
    return [...this.stored.values()];
  }

  /** Requests counted across all stored rollups (optionally of one route key `GET /users/:id`). */
  count(filter?: (cell: Batch['rollups'][number]) => boolean): number {
    let total = 0;
    for (const batch of this.stored.values()) for (const cell of batch.rollups) if (!filter || filter(cell)) total += cell.count;
    return total;
  }

  async #handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (request.method !== 'POST' || url.pathname !== '/v1/ingest') return new Response('not found', { status: 404 });
    const attempt: Attempt = {
      batchId: undefined,
      status: 0,
      authorization: request.headers.get('authorization'),
      contentEncoding: request.headers.get('content-encoding'),
    };
    this.attempts.push(attempt);
    const answer = (status: number, body: unknown) => {
      attempt.status = status;
      return Response.json(body, { status });
    };
    if (attempt.authorization !== `Bearer ${this.ingestKey}`) return answer(401, { error: 'bad key' });
    let input: unknown;
    try {
      const raw = new Uint8Array(await request.arrayBuffer());
      const text = attempt.contentEncoding === 'gzip' ? new TextDecoder().decode(Bun.gunzipSync(raw)) : new TextDecoder().decode(raw);
      input = JSON.parse(text);
    } catch (error) {
      this.problems.push(`unreadable body: ${(error as Error).message}`);
      return answer(400, { error: 'unreadable body' });
    }
    attempt.batchId = (input as { batchId?: string }).batchId;
    const scripted = this.scripted.shift();
    if (scripted !== undefined) return answer(scripted, { error: 'scripted' });
    const result = validateBatch(input, { now: Date.now() });
    if (!result.ok) {
      this.problems.push(...result.problems.map(formatProblem));
      return answer(400, { problems: result.problems });
    }
    const refusal = this.refuse?.(result.batch);
    if (refusal !== undefined) return answer(422, { problems: [refusal] });
    // A sharded edge picks the store by this header: when sent, it must name the batch's instance.
    const named = request.headers.get('x-bun-apm-instance');
    attempt.instanceHeader = named;
    if (named !== null && decodeURIComponent(named) !== result.batch.identity.instance) {
      this.problems.push(`x-bun-apm-instance: ${named} is not identity.instance ${result.batch.identity.instance}`);
      return answer(400, { error: 'instance header' });
    }
    const accepts = this.accepts === undefined ? {} : { accepts: this.accepts };
    if (this.accepts === undefined && (result.batch.dropped.parentTraces !== undefined || result.batch.carriedProfiles !== undefined)) {
      this.refusedAdditions++;
      return answer(422, { error: `${result.batch.carriedProfiles !== undefined ? 'carriedProfiles' : 'dropped.parentTraces'}: unknown key` });
    }
    if (this.stored.has(result.batch.batchId)) return answer(200, { duplicate: true, ...accepts });
    this.stored.set(result.batch.batchId, result.batch);
    return answer(202, { accepted: true, ...accepts });
  }
}
