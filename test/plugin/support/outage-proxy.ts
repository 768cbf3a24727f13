// Stands in front of a real edge and plays an outage: while `down` it answers every ingest with
// 503 (the body read first, as a real overloaded edge would), otherwise it forwards the request
// unchanged and answers what the edge answered.

export class OutageProxy {
  down = true;
  /** Ingest POSTs answered 503 / forwarded. */
  refused = 0;
  forwarded = 0;
  readonly #server: ReturnType<typeof Bun.serve>;

  constructor(readonly target: URL) {
    this.#server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: (request) => this.#handle(request) });
  }

  get url(): string {
    return `http://127.0.0.1:${this.#server.port}`;
  }

  async stop(): Promise<void> {
    await this.#server.stop(true);
  }

  async #handle(request: Request): Promise<Response> {
    const body = await request.arrayBuffer();
    if (this.down) {
      this.refused++;
      return Response.json({ error: { code: 'unavailable', message: 'outage under test' } }, { status: 503 });
    }
    this.forwarded++;
    const url = new URL(request.url);
    const headers = new Headers(request.headers);
    headers.delete('host');
    const answer = await fetch(new URL(url.pathname + url.search, this.target), { method: request.method, headers, body: request.method === 'GET' ? undefined : body });
    return new Response(await answer.arrayBuffer(), { status: answer.status, headers: { 'content-type': answer.headers.get('content-type') ?? 'application/json' } });
  }
}
