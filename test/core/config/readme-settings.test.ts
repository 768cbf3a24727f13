// The README's tables of settings (and docs/options.md's) are the settings table's: a setting added,
// removed or changed in src/core/config/settings.ts without `bun scripts/settings-readme.ts` fails here. wrangler.toml's
// shipped vars read to the table's defaults, so the deployed Worker and the docs agree.
import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { markedSections, PAGES, settingsTable, withSettingsTables } from '../../../scripts/settings-readme.ts';
import { settingFromVar } from '../../../src/core/config/read-setting.ts';
import type { Setting } from '../../../src/core/config/setting.ts';
import { SETTINGS, WORKER } from '../../../src/core/config/settings.ts';

const ROOT = join(import.meta.dir, '..', '..', '..');
const SETTINGS_PAGE = readFileSync(join(ROOT, 'docs', 'settings.md'), 'utf8');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const TEXTS = PAGES.map((page) => readFileSync(join(ROOT, page), 'utf8'));
const ALL = TEXTS.join('\n');

/** The rows of the table between the markers of `section`, as arrays of cells. */
function readmeRows(section: string): string[][] {
  const start = ALL.indexOf(`<!-- settings:${section} -->`);
  const end = ALL.indexOf(`<!-- /settings:${section} -->`);
  expect(start).toBeGreaterThan(-1);
  return ALL.slice(start, end).split('\n').filter((line) => line.startsWith('| ')).slice(2).map((line) => line.slice(2, -2).split(' | '));
}

describe('README tables of settings', () => {
  test('every section of the table is on a page, once: the preload and the Worker in docs/settings.md, which the README links', () => {
    expect(markedSections(ALL).sort()).toEqual(Object.keys(SETTINGS).sort());
    expect(markedSections(SETTINGS_PAGE).sort()).toEqual(['preload', 'worker']);
    expect(README).toContain('(docs/settings.md#the-preload)');
    expect(README).toContain('(docs/settings.md#the-edge)');
  });

  test('each page holds exactly what the table makes (run `bun scripts/settings-readme.ts` after changing a setting)', () => {
    for (const text of TEXTS) expect(withSettingsTables(text)).toBe(text);
  });

  test('one row per setting, naming its variable or key, its default and its range', () => {
    const preload = readmeRows('preload');
    expect(preload.map((cells) => cells[0])).toEqual(Object.values(SETTINGS.preload).map((s: Setting) => (s.env ? `\`${s.env}\`` : '—')));
    const interval = preload.find((cells) => cells[1] === '`profiling.interval`')!;
    expect(interval.slice(2, 4)).toEqual(['5000', 'integer 100–3600000']);
    const worker = readmeRows('worker');
    expect(worker.find((cells) => cells[0] === '`ROUTE_CAP`')!.slice(1, 3)).toEqual(['1000', '1–100000, rounded down']);
    expect(worker.find((cells) => cells[0] === '`TEN_SECOND_ROUTES`')![1]).toBe('off');
    const alerting = readmeRows('performanceAlerting');
    expect(alerting.find((cells) => cells[0] === '`evaluationDelay`')!.slice(1, 3)).toEqual(['250', 'integer 0–1000']);
  });

  test('a table changed by hand is told apart', () => {
    const edited = SETTINGS_PAGE.replace('| `BUN_APM_FLUSH_INTERVAL_MS` | `flushIntervalMs` | 10000 |', '| `BUN_APM_FLUSH_INTERVAL_MS` | `flushIntervalMs` | 5000 |');
    expect(edited).not.toBe(README);
    expect(withSettingsTables(edited)).toBe(SETTINGS_PAGE);
    expect(() => withSettingsTables('<!-- settings:nope -->\n<!-- /settings:nope -->')).toThrow('names no section');
    expect(settingsTable('worker')).toContain('| `DASHBOARD_REFRESH_MS` | 10000 | integer 500–86400000 |');
  });

  test("wrangler.toml's vars read to the table's defaults", () => {
    const vars = Object.fromEntries(
      [...readFileSync(join(ROOT, 'wrangler.toml'), 'utf8').split('[vars]')[1]!.matchAll(/^([A-Z_]+)\s*=\s*"([^"]*)"/gm)].map((m) => [m[1]!, m[2]!]),
    );
    const settings: Setting[] = Object.values(WORKER);
    const shipped = settings.filter((s) => vars[s.env!] !== undefined);
    expect(shipped.length).toBeGreaterThan(15);
    for (const s of shipped) {
      // PLAN ships as `free`, while unset means "not known".
      const expected = s.env === 'PLAN' ? 'free' : s.default;
      expect([s.env, settingFromVar(s, vars)]).toEqual([s.env, expected]);
    }
  });
});
