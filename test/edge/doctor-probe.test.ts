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
    expect(wrong.find((c) => c.label === 'edge')).toMatchObject({ ok: false, detail: expect.stringContaining('refused the ingest key (HTTP 401)') });
    const blog = await runChecks(appDir(KEYS.blogIngest), {});
    expect(blog.find((c) => c.label === 'edge')).toMatchObject({ ok: false, detail: expect.stringContaining('as app "blog", not "shop"') });
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
