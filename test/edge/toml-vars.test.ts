// wrangler passes a `[vars]` entry written as a TOML number, boolean, array or table as that JSON
// value, not a string (`ROUTE_CAP = 1000` arrives as 1000). The edge once read only strings: such a
// var was silently no setting at all (no alert rules, the default cap), and a misspelt one was not
// named. Now each is read as its text would be, and refused as that text would be.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { LocalEdge } from '../../scripts/local-edge.ts';
import { RollupTable } from '../../src/core/rollup.ts';
import { cachedByVars } from '../../src/edge/config-cache.ts';
import { batchTime, makeBatch } from '../support/batch.ts';
import { apiOk, ingest, ingestOk, startEdge } from './support/edge.ts';

// alert-config.ts compiles against the Workers types only: reached by a path tsc does not follow.
const ALERT_CONFIG_MODULE = '../../src/edge/alerting/alert-config.ts';
const { readAlertConfig } = (await import(ALERT_CONFIG_MODULE)) as { readAlertConfig: (env: Record<string, unknown>) => { dev: boolean } };

const ERRORS = { id: 'errors', name: 'Errors', metric: 'errorRate', condition: 'gt', threshold: 0.05, severity: 'critical' };
let edge: LocalEdge;

beforeAll(async () => {
  // As wrangler passes `ROUTE_CAP = 3`, `ALERT_RULES = [ { … } ]`, `TEN_SECOND_ROUTES = true`, `BUN_APM_DEV = true`.
  edge = await startEdge({
    bindings: {
      ROUTE_CAP: 3,
      ALERT_RULES: [ERRORS],
      TEN_SECOND_ROUTES: true,
      BUN_APM_DEV: true,
      ROUTECAP: 1000,
      ALERTRULES: [ERRORS],
    },
  });
});

afterAll(async () => {
  await edge?.dispose();
});

/** A batch of one request on each of `routes`. */
function batchOfRoutes(routes: string[]): any {
  const now = batchTime();
  const table = new RollupTable();
  for (const route of routes) table.record(now, 'GET', route, 200, 10, 10);
  return { ...makeBatch(now), rollups: table.drain(), samples: [], spans: [] };
}

describe('vars given as TOML numbers, booleans and arrays', () => {
  test('ALERT_RULES as an array: its rule is listed', async () => {
    const body = await apiOk(edge, '/api/v1/apps/shop/rules');
    expect(body.rules.map((rule: any) => [rule.id, rule.source])).toEqual([['errors', 'config']]);
    expect(body.configProblems).toHaveLength(2); // the two unknown names below, nothing refused
  });

  test('ROUTE_CAP = 3 holds: a fourth route is counted as other', async () => {
    const answer = await ingestOk(edge, batchOfRoutes(['/a', '/b', '/c', '/d']));
    expect(answer.overflow).toEqual({ routes: 1, instance: false });
    expect(answer.warnings).toEqual(['1 records counted under route "other": this app is at its cap of 3 routes']);
  });

  test('unknown names given as a number or an array are named with the nearest real one', async () => {
    const { configProblems } = await apiOk(edge, '/api/v1/apps/shop/rules');
    expect(configProblems).toEqual(
      expect.arrayContaining([
        'ROUTECAP: not a setting of the edge, ignored (did you mean ROUTE_CAP?)',
        'ALERTRULES: not a setting of the edge, ignored (did you mean ALERT_RULES?)',
      ]),
    );
    // The bindings (Durable Object namespaces, ASSETS, EMAIL) are not vars.
    expect(configProblems.join('\n')).not.toMatch(/APP_STORE|DASHBOARD_SESSIONS|ASSETS|EMAIL:/);
  });
});

test('ROUTE_CAP = 0 is refused as "0" is: the same 503 config_error', async () => {
  const answers: Array<[number, unknown]> = [];
  for (const ROUTE_CAP of [0, '0']) {
    const bad = await startEdge({ bindings: { ROUTE_CAP } });
    try {
      const response = await ingest(bad, batchOfRoutes(['/a']));
      answers.push([response.status, ((await response.json()) as any).error]);
    } finally {
      await bad.dispose();
    }
  }
  expect(answers[0]).toEqual([503, { code: 'config_error', message: 'routeCap (var ROUTE_CAP): expected a number from 1 to 100000 (rounded down), got "0"' }]);
  expect(answers[1]).toEqual(answers[0]!);
}, 60_000);

test('BUN_APM_DEV = true is dev as "true" is; the cache takes 3 and "3" as one value', () => {
  expect(readAlertConfig({ BUN_APM_DEV: true }).dev).toBe(true);
  expect(readAlertConfig({ BUN_APM_DEV: 'true' }).dev).toBe(true);
  expect(readAlertConfig({ BUN_APM_DEV: false }).dev).toBe(false);
  let builds = 0;
  const read = cachedByVars(['A'], (vars: { A?: unknown }) => ({ build: ++builds, a: vars.A }));
  expect(read({ A: 3 })).toBe(read({ A: '3' }));
  expect(read({ A: [1] })).not.toBe(read({ A: [2] }));
  expect(builds).toBe(3);
});
