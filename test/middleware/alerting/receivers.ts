// Real local receivers for alert deliveries: an HTTP server standing in for Slack, webhooks and
// PagerDuty, and an SMTP server (the smtp-server package) whose mail is parsed by mailparser.
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedRequest {
  path: string;
  headers: Headers;
  body: string;
}

export interface HttpReceiver {
  url: string;
  received: ReceivedRequest[];
  stop(): Promise<void>;
}

/** `respond` picks each answer (the n-th request, 0-based), possibly after a wait; default 200. */
export function startHttpReceiver(respond: (n: number) => number | Promise<number> = () => 200): HttpReceiver {
  const received: ReceivedRequest[] = [];
  let n = 0;
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(req) {
      const status = await respond(n++);
      const body = await req.text();
      if (status >= 200 && status < 300) received.push({ path: new URL(req.url).pathname, headers: req.headers, body });
      return new Response(status < 300 ? 'ok' : 'nope', { status });
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, received, stop: () => server.stop(true) };
}

export interface SmtpReceiver {
  /** smtp://user:pass@127.0.0.1:port */
  url: string;
  messages: ParsedMail[];
  /** The envelope recipients of each message. */
  envelopes: string[][];
  stop(): Promise<void>;
}

/** `refuses(address)`: recipients answered 550 at RCPT TO, as a server that knows no such mailbox. */
export async function startSmtpReceiver(user: string, pass: string, refuses: (address: string) => boolean = () => false): Promise<SmtpReceiver> {
  const messages: ParsedMail[] = [];
  const envelopes: string[][] = [];
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    logger: false,
    onRcptTo(address, _session, callback) {
      if (refuses(address.address)) callback(Object.assign(new Error('No such mailbox'), { responseCode: 550 }));
      else callback();
    },
    onAuth(auth, _session, callback) {
      if (auth.username === user && auth.password === pass) callback(null, { user });
      else callback(new Error('Invalid username or password'));
    },
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((mail) => {
          messages.push(mail);
          envelopes.push(session.envelope.rcptTo.map((r) => r.address));
          callback();
        })
        .catch(callback);
    },
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.server.address() as { port: number }).port));
  });
  return {
    url: `smtp://${encodeURIComponent(user)}:${encodeURIComponent(pass)}@127.0.0.1:${port}`,
    messages,
    envelopes,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Polls `condition` every 10 ms until it holds or `timeoutMs` passes (then throws naming `what`). */
export async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await Bun.sleep(10);
  }
}
