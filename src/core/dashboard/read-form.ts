// The dashboard's form posts, read strictly: urlencoded only, small, and every failure a 4xx of
// its own (never the runtime's FormData exception as a 500).
import { BodyError, readBodyCapped } from '../http/request-body.ts';

export const MAX_FORM_BYTES = 16 * 1024;

export class FormError extends Error {
  constructor(
    readonly status: 400 | 408 | 413 | 415,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'FormError';
  }
}

/** The fields of an `application/x-www-form-urlencoded` body; no body is an empty form. */
export async function readForm(request: Request): Promise<URLSearchParams> {
  const type = (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  const unsupported = () => new FormError(415, 'unsupported_media_type', 'expected a form (Content-Type: application/x-www-form-urlencoded)');
  if (type !== 'application/x-www-form-urlencoded' && type !== '') throw unsupported();
  let bytes: Uint8Array;
  try {
    bytes = await readBodyCapped(request, MAX_FORM_BYTES, 10_000);
  } catch (error) {
    if (error instanceof BodyError) throw new FormError(error.status, error.code, error.message);
    throw error;
  }
  // No type is fine for no body (an empty form); a body must say it is a form.
  if (type === '' && bytes.length > 0) throw unsupported();
  return new URLSearchParams(new TextDecoder().decode(bytes));
}

/** A single text field, or null when absent or repeated (a repeated field is a confused or forged post). */
export function field(form: URLSearchParams, name: string): string | null {
  const values = form.getAll(name);
  return values.length === 1 ? values[0]! : null;
}
