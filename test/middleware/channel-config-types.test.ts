// Channel configs read from the environment, as the spec writes them (`url: process.env.SLACK_WEBHOOK_URL`):
// they compile under exactOptionalPropertyTypes, and an unset one is warned of and skipped at startup.
import { expect, test } from 'bun:test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { PerformanceAlerting } from '../../src/middleware/performance-alerting.ts';

const REPO = join(import.meta.dir, '..', '..');

const SPEC_CHANNELS = `import { performanceAlerting } from 'bun-apm/middleware';
performanceAlerting({
  enabled: true,
  channels: [
    { type: 'slack', enabled: true, config: { url: process.env.SLACK_WEBHOOK_URL, channel: '#alerts' } },
    { type: 'webhook', config: { url: process.env.WEBHOOK_URL, token: process.env.WEBHOOK_TOKEN, secret: process.env.WEBHOOK_SECRET } },
    { type: 'email', config: { email: process.env.ALERT_EMAIL_TO, from: process.env.ALERT_EMAIL_FROM, smtp: process.env.SMTP_URL } },
    { type: 'pagerduty', config: { routingKey: process.env.PAGERDUTY_ROUTING_KEY, url: process.env.PAGERDUTY_URL } },
  ],
});
`;

let previous: ts.Program | undefined;

/** tsc's errors in `source` alone, checked with the repository's Bun settings plus exactOptionalPropertyTypes. */
function typeErrors(source: string): string[] {
  const file = join(mkdtempSync(join(tmpdir(), 'bun-apm-types-')), 'app.ts');
  writeFileSync(file, source);
  const configPath = join(REPO, 'tsconfig.bun.json');
  const { config } = ts.readConfigFile(configPath, ts.sys.readFile);
  const { options } = ts.parseJsonConfigFileContent(config, ts.sys, REPO, { exactOptionalPropertyTypes: true }, configPath);
  // The previous program's files are reused: the second check costs a fraction of the first.
  const program = (previous = ts.createProgram({ rootNames: [file], options, oldProgram: previous }));
  return ts.getPreEmitDiagnostics(program, program.getSourceFile(file)).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

test("the spec's channel configs from process.env compile under exactOptionalPropertyTypes", () => {
  expect(typeErrors(SPEC_CHANNELS)).toEqual([]);
  // The check is real: a number is still no URL.
  expect(typeErrors(SPEC_CHANNELS.replace('process.env.SLACK_WEBHOOK_URL', '5')).join('\n')).toContain("Type 'number' is not assignable");
}, 60_000);

test('a channel whose URL is unset is warned of, by the field it lacks, and skipped', () => {
  const lines: string[] = [];
  const alerting = new PerformanceAlerting({
    log: (line) => lines.push(line),
    channels: [{ type: 'slack', config: { url: undefined, channel: '#alerts' } }, { type: 'webhook', config: { url: undefined } }],
  });
  alerting.close();
  expect(lines).toEqual([
    'bun-apm: alerting: slack channel #0 has no config.url; its notifications are skipped',
    'bun-apm: alerting: webhook channel #1 has no config.url; its notifications are skipped',
  ]);
});
