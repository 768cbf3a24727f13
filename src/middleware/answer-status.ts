// The status Bun sends for what a handler answered, the same for every part of the explicit API
// (the monitor's recorder counts it so too): a Response's own; nothing (or an empty 200, as Hono
// answers), for a WebSocket request server.upgrade() took, 101; anything else is the app's
// mistake, which Bun answers 204 (200 in development), or 500 where no Bun server is known
// (compose() under another framework).
import { clientGone } from '../core/http/client-gone.ts';
import { asksUpgrade, invalidAnswerStatus, upgradeAnswer } from '../plugin/runtime/sent-status.ts';

/** The Bun server of each request instrument() passed on (a WeakMap: nothing added to the Request). */
const servers = new WeakMap<Request, unknown>();

export function noteServer(req: Request, server: unknown): void {
  if (typeof server === 'object' && server !== null) servers.set(req, server);
}

export function serverOf(req: Request): unknown {
  return servers.get(req);
}

export function answerStatus(req: Request, answer: unknown): number {
  // Hono's upgradeWebSocket answers an upgrade it made with an empty 200, which Bun ignores.
  if (answer instanceof Response) return answer.status === 200 && answer.body === null && asksUpgrade(req) ? 101 : answer.status;
  return upgradeAnswer(req, answer) ? 101 : invalidAnswerStatus(servers.get(req));
}

/** answerStatus, or a 499 when the client left before the answer (an upgrade's 101 aside), as the preload counts it. */
export function endedStatus(req: Request, answer: unknown): number {
  const status = answerStatus(req, answer);
  return status !== 101 && clientGone(req) ? 499 : status;
}
