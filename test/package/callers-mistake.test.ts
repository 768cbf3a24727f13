// A mistake in the explicit API's options or arguments, as an app meets it from the installed
// package: Bun's report quotes the app's own line and names the error, not a minified line of
// bun-apm's thousands of characters long (a review: the message was buried under it).
import { expect, test } from 'bun:test';
import { installApp, run } from './support/consumer.ts';

const IMPORT = "import { fromGlobalConfig, PerformanceAlerting, PerformanceMonitor, performanceAlerting, performanceDashboard, performanceMonitor, requestTracer } from 'bun-apm/middleware';\n";

/** Each app's second line makes one mistake; what the error is called and what its message says. */
const MISTAKES: Array<[line: string, error: string, says: string]> = [
  ['new PerformanceMonitor({ sampleRate: 5 });', 'ConfigError', 'sampleRate'],
  ['performanceMonitor({ sampleRate: 5 });', 'ConfigError', 'sampleRate'],
  ["requestTracer({ exporters: [{ type: 'jaeger' }] });", 'ConfigError', 'exporters'],
  ["performanceAlerting({ rules: [{ id: 'slow' }] });", 'AlertRuleError', 'slow'],
  ["performanceAlerting().addRule({ id: 'slow', name: 'Slow', metric: 'p95', condition: 'gt', threshold: 'high', severity: 'warning' });", 'AlertRuleError', 'threshold'],
  ["performanceAlerting().addChannel({ type: 'sms', config: {} });", 'ConfigError', 'channels[0]'],
  ['new PerformanceAlerting().removeChannel(3);', 'RangeError', 'removeChannel'],
  ['performanceMonitor().getAggregatedMetrics(-1);', 'RangeError', 'getAggregatedMetrics'],
  ["performanceDashboard({ path: '/' });", 'ConfigError', 'path'],
  ['fromGlobalConfig({ server: { performance: { monitoring: { sampleRate: 5 } } } });', 'ConfigError', 'sampleRate'],
  ["performanceDashboard({ authentication: { enabled: false } }).addAlert('fatal', 'disk');", 'RangeError', 'addAlert'],
];

test('each mistake is reported at the app’s own line, with its message, and no line of bun-apm', async () => {
  const files = Object.fromEntries(MISTAKES.map(([line], i) => [`mistake-${i}.ts`, `${IMPORT}${line}\n`]));
  const dir = await installApp({ name: 'callers-mistake', files });
  for (const [i, [line, error, says]] of MISTAKES.entries()) {
    const { code, err } = await run([process.execPath, `mistake-${i}.ts`], dir, { ...process.env, NO_COLOR: '1' } as Record<string, string>);
    const report = { line, code, err };
    expect(report).toMatchObject({ code: 1, err: expect.stringContaining(`2 | ${line}`) });
    expect(err).toMatch(new RegExp(`^${error}: .*${says.replace(/[[\]]/g, '\\$&')}`, 'm'));
    expect(err).toMatch(new RegExp(`at .*mistake-${i}\\.ts:2:\\d+`));
    expect(err).not.toContain('bun-apm/dist');
    expect(err.length).toBeLessThan(2_000);
  }
}, 120_000);
