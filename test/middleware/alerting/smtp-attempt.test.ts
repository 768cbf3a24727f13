// One SMTP attempt is bounded as a whole: nodemailer's timeouts are each a step's silence, and a
// server trickling a line every 5 s had held one attempt 65 s, and flush() and the exit with it (a
// review). A raw local server that greets, then answers EHLO one continuation line at a time.
import { afterEach, expect, test } from 'bun:test';
import { SmtpMailer } from '../../../src/middleware/alerting/smtp-mailer.ts';

const stops: Array<() => void> = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

test('a server trickling its EHLO answer: the attempt ends at its bound, retryable, and the connection is closed', async () => {
  let closedAt: number | undefined;
  const timers = new Set<ReturnType<typeof setInterval>>();
  const server = Bun.listen<{ timer?: ReturnType<typeof setInterval> }>({
    hostname: '127.0.0.1',
    port: 0,
    socket: {
      open(socket) {
        socket.data = {};
        socket.write('220 trickle.test ESMTP\r\n');
      },
      data(socket, data) {
        if (!/^EHLO/i.test(data.toString()) || socket.data.timer) return;
        socket.data.timer = setInterval(() => socket.write('250-still here\r\n'), 100);
        timers.add(socket.data.timer);
      },
      close(socket) {
        clearInterval(socket.data.timer);
        closedAt = performance.now();
      },
    },
  });
  stops.push(() => {
    for (const timer of timers) clearInterval(timer);
    server.stop(true);
  });
  const started = performance.now();
  const outcome = await new SmtpMailer(`smtp://127.0.0.1:${server.port}`, 1_000).send({ from: 'apm@example.com', to: ['oncall@example.com'], subject: 's', text: 't', html: '<p>t</p>' });
  const ended = performance.now();
  expect(outcome).toEqual({ ok: false, retryable: true, reason: 'ETIMEDOUT (the SMTP exchange took over 1 s)' });
  expect(ended - started).toBeGreaterThanOrEqual(950);
  expect(ended - started).toBeLessThan(3_000);
  // nodemailer closes the connection at the signal: the server is not left trickling into a socket nobody reads.
  const deadline = performance.now() + 2_000;
  while (closedAt === undefined && performance.now() < deadline) await Bun.sleep(20);
  expect(closedAt).toBeDefined();
});
