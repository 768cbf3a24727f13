// JSON responses and the one error shape every route answers with: { error: { code, message } }.

/** Thrown by handlers for an answer other than success; the router turns it into a response. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
    /** More fields of the `error` object, e.g. the list of problems of a batch. */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

const JSON_HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
};

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { ...JSON_HEADERS, ...headers } });
}

export function errorResponse(error: HttpError): Response {
  return json({ error: { code: error.code, message: error.message, ...error.details } }, error.status, error.headers);
}

export const notFound = (message = 'no such resource'): HttpError => new HttpError(404, 'not_found', message);
export const badParameter = (message: string): HttpError => new HttpError(400, 'invalid_parameter', message);
