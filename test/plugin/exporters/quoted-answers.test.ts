// A backend's words in bun-apm's warnings, from a hostile collector on 127.0.0.1: one printable
// line (no forged `bun-apm:` line, no terminal escapes), cut short, without the headers' values.
import { afterEach, expect, test } from 'bun:test';
import { createOtlpExporter } from '../../../src/plugin/runtime/exporters/index.ts';
import { sendWithRetry } from '../../../src/plugin/runtime/send-with-retry.ts';
import { makeSpans } from './support/spans.ts';

const AUTH = 'Bearer SECRET-TOKEN-123';
const EVIL = (auth: string) => `denied\n\x1b[2J\x1b[31mbun-apm: FAKE all good, token=${auth}, again ${auth.split(' ')[1]}\x1b[0m\r\n\u2028\x9b2J${'x'.repeat(5000)}`;

let stop: (() => Promise<void>) | undefined;
afterEach(async () => void (await stop?.()));

function hostile(answer: (auth: string) => Response): string {
  const server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: (req) => answer(req.headers.get('authorization') ?? '') });
  stop = () => server.stop(true);
  return `http://127.0.0.1:${server.port}`;
}

function expectQuotedSafely(line: string): void {
  expect(line).toContain('denied');
  expect(line).not.toMatch(/[\x00-\x1f\x7f-\x9f\u2028]/);
  expect(line).not.toContain('SECRET');
  expect(line.length).toBeLessThan(400);
}

test('a refusal whose body forges a line, clears the screen and echoes the token', async () => {
  const url = hostile((auth) => new Response(EVIL(auth), { status: 400 }));
  const lines: string[] = [];
  const exporter = createOtlpExporter({ endpoint: url, serviceName: 's', headers: { authorization: AUTH }, log: (line) => lines.push(line) });
  exporter.export(makeSpans(3));
  await exporter.flush();
  expect(lines).toHaveLength(1);
  expectQuotedSafely(lines[0]!);
});

test('a partial success whose errorMessage does the same', async () => {
  const url = hostile((auth) => Response.json({ partialSuccess: { rejectedSpans: 1, errorMessage: EVIL(auth) } }));
  const lines: string[] = [];
  const exporter = createOtlpExporter({ endpoint: url, serviceName: 's', headers: { authorization: AUTH }, log: (line) => lines.push(line) });
  exporter.export(makeSpans(3));
  await exporter.flush();
  expect(lines).toHaveLength(1);
  expectQuotedSafely(lines[0]!);
});

test("the edge's sender (sendWithRetry) quotes a refusal the same way", async () => {
  const url = hostile((auth) => new Response(EVIL(auth), { status: 403 }));
  const outcome = await sendWithRetry(url, { method: 'POST', headers: { authorization: AUTH, 'content-type': 'application/json' }, body: '{}' });
  expect(outcome.ok).toBe(false);
  expectQuotedSafely((outcome as { reason: string }).reason);
});
