// JSON responses and the one error shape every route answers with: { error: { code, message } }.
import { securityHeaders } from '../../core/dashboard/security-headers.ts';
import type { BodyError } from '../../core/http/request-body.ts';

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

/** Every API answer is data: no-store, nosniff, a CSP that runs nothing, never framed. */
const JSON_HEADERS = { ...securityHeaders('data'), 'Content-Type': 'application/json; charset=utf-8' };

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { ...JSON_HEADERS, ...headers } });
}

export function errorResponse(error: HttpError): Response {
  return json({ error: { code: error.code, message: error.message, ...error.details } }, error.status, error.headers);
}

/** A body that could not be read: too large, malformed framing, or stalled. */
export function bodyProblem(error: BodyError): HttpError {
  return new HttpError(error.status, error.code, error.message);
}

export const notFound = (message = 'no such resource'): HttpError => new HttpError(404, 'not_found', message);
export const badParameter = (message: string): HttpError => new HttpError(400, 'invalid_parameter', message);
