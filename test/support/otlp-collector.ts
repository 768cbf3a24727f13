// A stand-in OTLP/HTTP JSON collector on 127.0.0.1 (POST /v1/traces): the span ids it received,
// each with the service.name it came under, how many came again, and a switch that makes it take
// requests and never answer.
type Otlp = { resourceSpans: Array<{ resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> }; scopeSpans: Array<{ spans: Array<{ spanId: string }> }> }> };

export class OtlpCollector {
  /** Span id → service.name. */
  readonly received = new Map<string, string>();
  duplicates = 0;
  hang = false;
  readonly #server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    idleTimeout: 0,
    fetch: async (request) => {
      if (new URL(request.url).pathname !== '/v1/traces') return new Response('not found', { status: 404 });
      if (this.hang) return new Promise<Response>(() => {});
      const body = (await request.json()) as Otlp;
      for (const resource of body.resourceSpans) {
        const service = resource.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue ?? '';
        for (const scope of resource.scopeSpans) for (const span of scope.spans) {
          if (this.received.has(span.spanId)) this.duplicates++;
          this.received.set(span.spanId, service);
        }
      }
      return Response.json({});
    },
  });

  get url(): string {
    return `http://127.0.0.1:${this.#server.port}`;
  }

  /** Forgets what came, and answers again. */
  reset(): void {
    this.received.clear();
    this.duplicates = 0;
    this.hang = false;
  }

  stop(): Promise<void> {
    return this.#server.stop(true);
  }
}
