// A mistake in an exporter entry of bun-apm.config.ts, as a user meets it under the preload: one
// stderr line naming the entry, the option and what is accepted; the app serves, unmonitored, as
// with every other bad entry. Found by a review: a misspelt option was ignored without a word (the
// default used), and a maxQueueSize of 1e9 was taken.
import { afterAll, expect, test } from 'bun:test';
import { startApp, type AppProcess } from '../support/app-process.ts';
import { writeConfig } from '../support/config-file.ts';
import { waitFor } from '../support/wait-for.ts';

const apps: AppProcess[] = [];
afterAll(async () => void (await Promise.all(apps.map((app) => app.kill()))));

test.each([
  ["{ type: 'otlp', endpoint: 'http://127.0.0.1:4318', scheduleDelayMs: 100 }", 'bun-apm: exporters[0] (otlp): scheduleDelayMs is not an option of otlp exporters (did you mean scheduledDelayMs?)'],
  ["{ type: 'otlp', endpont: 'http://127.0.0.1:4318' }", 'bun-apm: exporters[0] (otlp): endpont is not an option of otlp exporters (did you mean endpoint?)'],
  ["{ type: 'otlp', endpoint: 'http://127.0.0.1:4318', maxQueueSize: 1e9 }", 'bun-apm: exporters[0] (otlp): maxQueueSize must be an integer from 1 to 100000, got 1000000000'],
])('%s: one line naming it, the app serves', async (entry, said) => {
  const app = await startApp('../test/plugin/fixtures/graceful-app.ts', { env: { BUN_APM_CONFIG: writeConfig(`export default { exporters: [${entry}] };`) } });
  apps.push(app);
  expect((await app.fetch('/work/1')).status).toBe(200);
  await waitFor(() => app.stderr.includes('monitoring is off') || undefined, 5_000);
  const lines = app.stderr.trim().split('\n').filter((line) => line.startsWith('bun-apm'));
  expect(lines).toHaveLength(1);
  expect(lines[0]).toStartWith(said);
}, 20_000);
