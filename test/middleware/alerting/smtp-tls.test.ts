// In-process SMTP never sends credentials in clear to a host that is not loopback (found by a
// review: AUTH PLAIN went in clear to any server that offered no STARTTLS). A tiny SMTP server
// here offers AUTH and no STARTTLS, and records every command it is sent. A later review: a
// certificate that did not verify was an unexplained ESOCKET, retried; ?requireTLS=FALSE read as
// "require"; a password without a user name went without AUTH.
import { afterEach, describe, expect, test } from 'bun:test';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { smtpOptions, SmtpMailer } from '../../../src/middleware/alerting/smtp-mailer.ts';
import { PerformanceAlerting } from '../../../src/middleware/performance-alerting.ts';

const PASSWORD = 'hunter2-SECRET';
const USER = 'apm';
const servers: Server[] = [];
const smtpServers: SMTPServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
  for (const server of smtpServers.splice(0)) await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** Listens on 127.0.0.1 at a port the system picks (a fixed one in the ephemeral range was once taken in CI). */
async function listenLocal(server: Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return (server.address() as { port: number }).port;
}

/** A plain SMTP server on 127.0.0.1: AUTH offered, STARTTLS not (refused with 502). */
async function plainSmtp(): Promise<{ port: number; commands: string[]; mails: string[] }> {
  const commands: string[] = [];
  const mails: string[] = [];
  const server = createServer((socket) => {
    let buffer = '';
    let data: string | undefined;
    socket.write('220 test ESMTP\r\n');
    socket.on('data', (chunk) => {
      buffer += chunk.toString('latin1');
      let end: number;
      while ((end = buffer.indexOf('\r\n')) >= 0) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (data !== undefined) {
          if (line !== '.') data += `${line}\n`;
          else {
            mails.push(data);
            data = undefined;
            socket.write('250 queued\r\n');
          }
          continue;
        }
        commands.push(line);
        const verb = line.split(' ')[0]!.toUpperCase();
        if (verb === 'EHLO') socket.write('250-test\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n');
        else if (verb === 'AUTH') socket.write('235 accepted\r\n');
        else if (verb === 'MAIL' || verb === 'RCPT' || verb === 'RSET' || verb === 'NOOP') socket.write('250 ok\r\n');
        else if (verb === 'DATA') {
          data = '';
          socket.write('354 go on\r\n');
        } else if (verb === 'QUIT') socket.end('221 bye\r\n');
        else socket.write('502 not implemented\r\n');
      }
    });
    socket.on('error', () => {});
  });
  servers.push(server);
  return { port: await listenLocal(server), commands, mails };
}

const message = { from: 'apm@example.com', to: ['oncall@example.com'], subject: 'hi', text: 'hi', html: '<p>hi</p>' };
const url = (host: string, port: number, query = '') => `smtp://${USER}:${PASSWORD}@${host}:${port}${query}`;

/** One p95 alert fired in-process to an email channel over `smtp`: what was logged, and the notifications made. */
async function alertOnce(smtp: string, delivery: { attempts: number; backoffMs?: number }) {
  const logs: string[] = [];
  let now = Date.UTC(2026, 10, 26, 12, 0, 0);
  const alerting = new PerformanceAlerting({
    app: 'shop', now: () => now, log: (line) => logs.push(line), sampleProcess: false, delivery,
    rules: [{ id: 'slow', name: 'Slow', enabled: true, metric: 'p95', condition: 'gt', threshold: 500, duration: 60_000, severity: 'critical' }],
    channels: [{ type: 'email', enabled: true, config: { email: 'oncall@example.com', smtp } }],
  });
  try {
    for (let i = 0; i < 20; i++) alerting.addMetrics({ timestamp: now - 59_000 + i * 1000, method: 'GET', path: '/checkout', statusCode: 200, responseTime: 900 });
    now += 1;
    await alerting.flush();
  } finally {
    alerting.close();
  }
  return { logs, notifications: alerting.getAllNotifications() };
}

describe('when TLS is required', () => {
  test.each([
    ['credentials to a host that is not loopback', 'smtp://u:p@mail.example.com', true],
    ['credentials to 0.0.0.0', 'smtp://u:p@0.0.0.0:25', true],
    ['credentials to a name that only starts like loopback', 'smtp://u:p@localhost.example.com', true],
    ['credentials to 127.0.0.0/8', 'smtp://u:p@127.0.0.9:25', false],
    ['credentials to localhost', 'smtp://u:p@LocalHost:25', false],
    ['credentials to ::1', 'smtp://u:p@[::1]:25', false],
    ['no credentials', 'smtp://mail.example.com', false],
    ['smtps:// (TLS from the first byte)', 'smtps://u:p@mail.example.com', false],
    ['?requireTLS=false (the named opt-out)', 'smtp://u:p@mail.example.com?requireTLS=false', false],
    ['?requireTLS=true on loopback without credentials', 'smtp://127.0.0.1:25?requireTLS=true', true],
  ])('%s', (_name, given, required) => {
    expect(smtpOptions(given).requireTLS).toBe(required);
  });

  test('an IPv6 host is given to nodemailer without its brackets', () => {
    expect(smtpOptions('smtp://u:p@[::1]:25').host).toBe('::1');
  });
});

describe('a server without STARTTLS', () => {
  test('credentials to a host not named as loopback (0.0.0.0 reaches this machine) are never sent; the failure is named', async () => {
    const server = await plainSmtp();
    const outcome = await new SmtpMailer(url('0.0.0.0', server.port)).send(message);
    expect(server.commands.some((c) => /^AUTH/i.test(c))).toBe(false);
    expect(server.commands.map((c) => c.split(' ')[0])).toEqual(['EHLO', 'STARTTLS']);
    expect(outcome).toEqual({ ok: false, retryable: false, reason: expect.stringContaining('ETLS (SMTP 502): the server refused STARTTLS, which this SMTP URL requires, so nothing was sent') });
    expect(server.mails).toEqual([]);
  });

  test('?requireTLS=true refuses to authenticate on loopback too', async () => {
    const server = await plainSmtp();
    const outcome = await new SmtpMailer(url('127.0.0.1', server.port, '?requireTLS=true')).send(message);
    expect(server.commands.some((c) => /^AUTH/i.test(c))).toBe(false);
    expect(outcome.ok).toBe(false);
  });

  test('loopback still authenticates and delivers in clear, as ?requireTLS=false does elsewhere', async () => {
    const server = await plainSmtp();
    expect(await new SmtpMailer(url('127.0.0.1', server.port)).send(message)).toEqual({ ok: true });
    expect(await new SmtpMailer(url('0.0.0.0', server.port, '?requireTLS=false')).send(message)).toEqual({ ok: true });
    expect(server.commands.filter((c) => /^AUTH PLAIN/i.test(c)).length).toBe(2);
    expect(server.mails.length).toBe(2);
  });

  test('the refusal is a logged delivery error that names the problem and not the password', async () => {
    const server = await plainSmtp();
    const { logs, notifications } = await alertOnce(url('0.0.0.0', server.port), { attempts: 1 });
    expect(notifications.length).toBe(1);
    expect(server.commands.some((c) => /^AUTH/i.test(c))).toBe(false);
    expect(logs).toEqual([expect.stringMatching(/^bun-apm: alerting: email channel #0 could not deliver a notification \(ETLS \(SMTP 502\): the server refused STARTTLS, which this SMTP URL requires, so nothing was sent \(use smtps:\/\/, or \?requireTLS=false to send in clear\)\)/)]);
    expect(logs.join('\n')).not.toContain(PASSWORD);
  });
});

describe('the URL', () => {
  test.each([
    ['?requireTLS=FALSE', 'smtp://u:p@mail.example.com?requireTLS=FALSE', false],
    ['?requireTLS=True', 'smtp://127.0.0.1:25?requireTLS=True', true],
  ])('takes true and false in any case: %s', (_name, given, required) => {
    expect(smtpOptions(given).requireTLS).toBe(required);
  });

  test('?tlsRejectUnauthorized=false (in any case) is the only way to skip verifying the certificate', () => {
    expect(smtpOptions('smtp://u:p@mail.example.com?tlsRejectUnauthorized=False').tls).toEqual({ rejectUnauthorized: false });
    expect(smtpOptions('smtp://u:p@mail.example.com?tlsRejectUnauthorized=true').tls).toBeUndefined();
    expect(smtpOptions('smtp://u:p@mail.example.com').tls).toBeUndefined();
  });

  test.each([
    ['?requireTLS=no', (port: number) => url('0.0.0.0', port, '?requireTLS=no'), 'SMTP URL: ?requireTLS must be true or false'],
    ['?tlsRejectUnauthorized=0', (port: number) => url('0.0.0.0', port, '?tlsRejectUnauthorized=0'), 'SMTP URL: ?tlsRejectUnauthorized must be true or false'],
    ['a password without a user name', (port: number) => `smtp://:${PASSWORD}@0.0.0.0:${port}`, 'SMTP URL: a password without a user name (smtp://user:pass@host)'],
    // A misspelt or repeated option had been ignored without a word (a review): the first value of two had sent in clear.
    ['a misspelt option', (port: number) => url('0.0.0.0', port, '?tlsrejectunauthorized=false'), 'SMTP URL: ?tlsrejectunauthorized is unknown (known: requireTLS, tlsRejectUnauthorized)'],
    ['an option given twice', (port: number) => url('0.0.0.0', port, '?requireTLS=false&requireTLS=true'), 'SMTP URL: ?requireTLS is given more than once'],
  ])('%s fails every delivery, not retried, with a reason that says so and not the password; nothing is sent', async (_name, urlAt, reason) => {
    const server = await plainSmtp();
    const given = urlAt(server.port);
    expect(() => smtpOptions(given)).toThrow(reason);
    expect(await new SmtpMailer(given).send(message)).toEqual({ ok: false, retryable: false, reason });
    expect(server.commands).toEqual([]);
  });
});

// A certificate that does not verify (self-signed here, as an internal CA's is to this process),
// made with openssl for each run.
describe.skipIf(Bun.which('openssl') === null)('a STARTTLS server whose certificate does not verify', () => {
  async function tlsSmtp(): Promise<{ port: number; seen: { connections: number; mails: number; secureAuth: boolean[] } }> {
    const dir = mkdtempSync(join(tmpdir(), 'bun-apm-smtp-'));
    const made = Bun.spawnSync(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=mail.internal']);
    expect(made.exitCode).toBe(0);
    const seen = { connections: 0, mails: 0, secureAuth: [] as boolean[] };
    const server = new SMTPServer({
      key: readFileSync(join(dir, 'key.pem')),
      cert: readFileSync(join(dir, 'cert.pem')),
      logger: false,
      onConnect(_session, callback) {
        seen.connections++;
        callback();
      },
      onAuth(auth, session, callback) {
        seen.secureAuth.push(session.secure);
        callback(auth.password === PASSWORD ? null : new Error('no'), { user: auth.username });
      },
      onData(stream, _session, callback) {
        stream.resume().on('end', () => {
          seen.mails++;
          callback();
        });
      },
    });
    rmSync(dir, { recursive: true });
    smtpServers.push(server);
    return { port: await listenLocal(server.server), seen };
  }

  test.each([
    ['STARTTLS required', ''],
    ['STARTTLS only offered (?requireTLS=false: nodemailer still upgrades)', '?requireTLS=false'],
  ])('%s: the failure names the certificate and the option, and is not retried', async (_name, query) => {
    const { port, seen } = await tlsSmtp();
    const { logs } = await alertOnce(url('0.0.0.0', port, query), { attempts: 3, backoffMs: 0 });
    expect(seen).toEqual({ connections: 1, mails: 0, secureAuth: [] });
    expect(logs).toEqual([
      "bun-apm: alerting: email channel #0 could not deliver a notification (ESOCKET (DEPTH_ZERO_SELF_SIGNED_CERT): the SMTP server's certificate did not verify, so nothing was sent (trust its CA with NODE_EXTRA_CA_CERTS, or ?tlsRejectUnauthorized=false to skip the check)); the same failure is not logged again for an hour",
    ]);
  });

  test('?tlsRejectUnauthorized=false delivers, authenticating over TLS', async () => {
    const { port, seen } = await tlsSmtp();
    expect(await new SmtpMailer(url('0.0.0.0', port, '?tlsRejectUnauthorized=false')).send(message)).toEqual({ ok: true });
    expect(seen).toEqual({ connections: 1, mails: 1, secureAuth: [true] });
  });
});
