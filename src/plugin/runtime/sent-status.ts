// The status a client gets for what a Bun handler answered, where that is not simply the Response's.

/** The status Bun sends for a Response's: a Response.error() (status 0) goes out as a 500, and is counted as one. */
export function sentStatus(status: number): number {
  return status < 100 ? 500 : status;
}

/** Nothing answered to a WebSocket request: server.upgrade() took it, and Bun sends 101. */
export function upgradeAnswer(request: Request, result: unknown): boolean {
  return result == null && asksUpgrade(request);
}

/** A request asking for a WebSocket. */
export function asksUpgrade(request: Request): boolean {
  return request.headers.get('upgrade')?.toLowerCase() === 'websocket';
}

/**
 * What Bun sends for a handler's answer that is not a Response (undefined, a string, an object):
 * 204, or 200 with its welcome page on a server in development mode (Bun 1.4.5). Without a Bun
 * server (the explicit middleware under another framework) it is the framework's to say: 500.
 */
export function invalidAnswerStatus(server: unknown): number {
  if (server === null || typeof server !== 'object') return 500;
  return (server as { development?: unknown }).development === true ? 200 : 204;
}
