// `bun-apm doctor` against the real edge in workerd: it checks the ingest key through /v1/check,
// which stores nothing, so however often a setup is checked the app gains no instance, batch or
// request; a wrong key is named.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalEdge } from '../../scripts/local-edge.ts';
import { runChecks } from '../../src/plugin/cli/doctor.ts';
import { apiOk, KEYS, startEdge } from './support/edge.ts';

let edge: LocalEdge;
beforeAll(async () => {
  edge = await startEdge();
});
afterAll(async () => {
  await edge?.dispose();
});

function appDir(key: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'bun-apm-doctor-edge-'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'shop' }));
  writeFileSync(join(dir, 'bunfig.toml'), 'preload = ["bun-apm/preload"]\n');
  writeFileSync(join(dir, '.env'), `BUN_APM_ENDPOINT=${new URL(edge.url).origin}\nBUN_APM_INGEST_KEY=${key}\n`);
  return dir;
}

describe('doctor against the edge', () => {
  test('three runs pass the edge check and leave the app without instance, batch or request', async () => {
    for (let i = 0; i < 3; i++) {
      const checks = await runChecks(appDir(KEYS.shopIngest), {});
      expect(checks.find((c) => c.label === 'edge')).toMatchObject({ ok: true, detail: expect.stringContaining('accepts the ingest key for app "shop"') });
    }
    expect((await apiOk(edge, '/api/v1/apps/shop/instances')).instances).toEqual([]);
    const status = await apiOk(edge, '/api/v1/apps/shop/status');
    expect(status.rows).toMatchObject({ batches: 0, rollup10s: 0, rollupMinutes: 0, profiles: 0 });
    expect((await apiOk(edge, '/api/v1/apps/shop/summary')).requests).toBe(0);
  });

  test('a wrong key and another app\'s key are named', async () => {
    const wrong = await runChecks(appDir('not-a-key-0123456789'), {});
    const refused = { ...wrong.find((c) => c.label === 'edge')! };
    expect(wrong.find((c) => c.label === 'edge')).toMatchObject({ ok: false, detail: expect.stringContaining('refused the ingest key (HTTP 401)') });
    // Both ways to fix it (a newcomer who ran `keys --app blog` had left edge dev running on the old keys).
    expect(refused.detail).toEndWith('check INGEST_KEYS on the Worker (a deployed one: `npx wrangler secret put INGEST_KEYS` as `bunx bun-apm keys` prints it; `edge dev`: restart it, it reads .dev.vars at start)');
    const blog = await runChecks(appDir(KEYS.blogIngest), {});
    expect(blog.find((c) => c.label === 'edge')).toMatchObject({ ok: false, detail: expect.stringContaining('as app "blog", not "shop"') });
  });
});

// A review: doctor passed with the clock 2 h ahead while the edge refused every batch; an endpoint
// with a page's path got the edge's bare "no such endpoint"; a user name `u` in the endpoint cut
// every "u" out of the network error.
describe('doctor names what it can see of a setup the edge will refuse', () => {
  const endpointIs = (dir: string, endpoint: string) => writeFileSync(join(dir, '.env'), `BUN_APM_ENDPOINT=${endpoint}\nBUN_APM_INGEST_KEY=${KEYS.shopIngest}\n`);

  test('a clock ahead of the edge by more than it takes fails the check, naming by how much; a few seconds do not', async () => {
    const ahead = (await runChecks(appDir(KEYS.shopIngest), {}, () => Date.now() + 2 * 3_600_000)).find((c) => c.label === 'edge')!;
    expect(ahead).toMatchObject({ ok: false, detail: expect.stringContaining("this machine's clock is 2 hours ahead of the edge's") });
    const close = (await runChecks(appDir(KEYS.shopIngest), {}, () => Date.now() + 5_000)).find((c) => c.label === 'edge')!;
    expect(close.ok).toBe(true);
  });

  test('a clock behind the edge by more than alerts wait for fails the check too; a minute does not', async () => {
    const behind = (await runChecks(appDir(KEYS.shopIngest), {}, () => Date.now() - 20 * 60_000)).find((c) => c.label === 'edge')!;
    expect(behind).toMatchObject({ ok: false, detail: expect.stringContaining("this machine's clock is 20 minutes behind the edge's: alert rules wait for an app's data 5 minutes at most") });
    const close = (await runChecks(appDir(KEYS.shopIngest), {}, () => Date.now() - 60_000)).find((c) => c.label === 'edge')!;
    expect(close.ok).toBe(true);
  });

  test('an endpoint with a path says the base URL is wanted', async () => {
    const dir = appDir(KEYS.shopIngest);
    endpointIs(dir, `${new URL(edge.url).origin}/api/v1/apps/shop`);
    const check = (await runChecks(dir, {})).find((c) => c.label === 'edge')!;
    expect(check).toMatchObject({ ok: false, detail: expect.stringContaining('BUN_APM_ENDPOINT is the edge\'s base URL, without a path (not /api/v1/apps/shop)') });
  });

  test('user info in an unreachable endpoint is cut from the error, and nothing else is', async () => {
    const closed = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response() });
    const port = closed.port;
    closed.stop(true);
    const dir = appDir(KEYS.shopIngest);
    endpointIs(dir, `http://u:s3cretpw@127.0.0.1:${port}`);
    const check = (await runChecks(dir, {})).find((c) => c.label === 'edge')!;
    expect(check.ok).toBe(false);
    expect(check.detail).not.toContain('s3cretpw');
    expect(check.detail).not.toContain('comp…ter');
    expect(check.detail).toContain('is not reachable');
  });
});

// A review: misspelt var names (`PALN`, `ALERT_RULE`, `ROUTECAP`) were no setting at all, and nothing
// said so: the edge ran on the defaults they meant to change (no alert rules at all) and doctor passed.
test('vars the edge does not know are named with the nearest real one: doctor fails, the rules API lists them', async () => {
  const misspelt = await startEdge({ bindings: { PALN: 'paid', ALERT_RULE: '[]', ROUTECAP: '50' } });
  try {
    const dir = mkdtempSync(join(tmpdir(), 'bun-apm-doctor-edge-'));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'shop' }));
    writeFileSync(join(dir, 'bunfig.toml'), 'preload = ["bun-apm/preload"]\n');
    writeFileSync(join(dir, '.env'), `BUN_APM_ENDPOINT=${new URL(misspelt.url).origin}\nBUN_APM_INGEST_KEY=${KEYS.shopIngest}\n`);
    const check = (await runChecks(dir, {})).find((c) => c.label === 'edge')!;
    expect(check.ok).toBe(false);
    for (const line of ['PALN: not a setting of the edge, ignored (did you mean PLAN?)', 'ALERT_RULE: not a setting of the edge, ignored (did you mean ALERT_RULES?)', 'ROUTECAP: not a setting of the edge, ignored (did you mean ROUTE_CAP?)']) {
      expect(check.detail).toContain(line);
      // Once: the alerting configuration's problems include the unknown names too.
      expect(check.detail.split(line).length, line).toBe(2);
    }
    const rules = await apiOk(misspelt, '/api/v1/apps/shop/rules');
    expect(rules.configProblems).toEqual(expect.arrayContaining([expect.stringContaining('PALN: not a setting of the edge'), expect.stringContaining('ALERT_RULE: not a setting')]));
    // The edge with only its own names says nothing of the kind.
    expect((await runChecks(appDir(KEYS.shopIngest), {})).find((c) => c.label === 'edge')!.ok).toBe(true);
    expect((await apiOk(edge, '/api/v1/apps/shop/rules')).configProblems).toEqual([]);
  } finally {
    await misspelt.dispose();
  }
}, 60_000);

// A review: ALERT_RULES given but every rule failing validation left the edge with no rules at all
// (`rules: []`, the reasons only in the rules API's configProblems), and doctor passed.
test('the app\'s alerting configuration problems fail doctor, as the rules API lists them: at most 10 lines, then how many more; no secret echoed', async () => {
  const bad = Array.from({ length: 12 }, (_, i) => ({ id: `r${i}`, name: `rule ${i}`, metric: 'p95', threshold: 500, severity: 'loud' }));
  const secret = 'hooks.slack.com/services/T000/B000/secret-part-0123';
  const broken = await startEdge({ bindings: { ALERT_RULES: JSON.stringify({ shop: bad, blog: [{ id: 'other-apps-rule' }] }), SLACK_WEBHOOK_URL: secret } });
  try {
    const dir = mkdtempSync(join(tmpdir(), 'bun-apm-doctor-edge-'));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'shop' }));
    writeFileSync(join(dir, 'bunfig.toml'), 'preload = ["bun-apm/preload"]\n');
    writeFileSync(join(dir, '.env'), `BUN_APM_ENDPOINT=${new URL(broken.url).origin}\nBUN_APM_INGEST_KEY=${KEYS.shopIngest}\n`);
    const rules = await apiOk(broken, '/api/v1/apps/shop/rules');
    expect(rules.rules.filter((rule: { source?: string }) => rule.source !== 'code')).toEqual([]);
    const problems: string[] = rules.configProblems;
    expect(problems.length).toBeGreaterThan(12);

    const check = (await runChecks(dir, {})).find((c) => c.label === 'edge')!;
    expect(check.ok).toBe(false);
    // The first ten as the rules API words them, then the count of the rest.
    for (const problem of problems.slice(0, 10)) expect(check.detail).toContain(problem);
    expect(check.detail).toContain(`and ${problems.length - 10} more`);
    expect(check.detail).toContain("ALERT_RULES.shop[0] (rule 'r0'): left out");
    expect(check.detail).not.toContain('other-apps-rule');
    expect(check.detail).not.toContain('secret-part');
  } finally {
    await broken.dispose();
  }
}, 60_000);
