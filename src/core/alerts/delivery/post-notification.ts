// One POST of a notification, judged by the shared retry policy. Redirects are not followed (a
// signed request must not be led elsewhere), the answer's body is never read (receivers' answers
// are not ours to log), and a failure's reason never holds the URL: for Slack the URL is the secret.
import { fetchErrorOutcome, responseOutcome, type AttemptOutcome } from '../../retry/retry-policy.ts';

export interface PostOptions {
  /** The fetch to use (the Bun side passes its uninstrumented one). */
  fetch: typeof fetch;
  timeoutMs: number;
}

export async function postNotification(url: string, headers: Record<string, string>, body: string, options: PostOptions): Promise<AttemptOutcome> {
  let response: Response;
  try {
    response = await options.fetch(url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(options.timeoutMs) });
  } catch (error) {
    return fetchErrorOutcome(error);
  }
  await response.body?.cancel().catch(() => undefined);
  return responseOutcome(response.status, response.headers.get('retry-after'), Date.now());
}
